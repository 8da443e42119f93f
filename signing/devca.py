"""A development certificate authority, made on first use when no real signing key is configured.

Signatures made with it are real PAdES signatures, but they chain to a root nobody else trusts:
the root's name says so ("sohoa DEVELOPMENT CA - NOT FOR PRODUCTION").

Layout of the directory (created 0700):

    root-ca.pem          root certificate (public; the trust root for verification in embedded mode)
    root-ca.key.pem      root private key, encrypted with the passphrase (0600); kept so the signing
                         certificate can be re-issued under the same root when it nears expiry
    signer.p12           the agency's signing key, certificate and chain (0600)
    signer.p12.pass      random passphrase of both (0600)

Creation is idempotent and safe when several processes start at once: a lock file serialises them,
and every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = ["DEV_ROOT_NAME", "SIGNING_KEY_USAGE", "DevCredentials", "ensure_dev_ca"]

DEV_ROOT_NAME = "sohoa DEVELOPMENT CA - NOT FOR PRODUCTION"
_DEV_LABEL = "DEVELOPMENT - NOT FOR PRODUCTION"

_ROOT_CERT = "root-ca.pem"
_ROOT_KEY = "root-ca.key.pem"
_SIGNER_P12 = "signer.p12"
_PASSPHRASE = "signer.p12.pass"
_LOCK = ".lock"

_ROOT_LIFETIME = dt.timedelta(days=3650)
_SIGNER_LIFETIME = dt.timedelta(days=730)
# Re-issue the signing certificate this long before it expires, so a dev setup never signs with
# a certificate that /readyz would warn about.
_RENEW_BEFORE = dt.timedelta(days=30)
_BACKDATE = dt.timedelta(hours=1)  # tolerate clock skew between machines

# A document-signing certificate signs with non-repudiation (content commitment) and nothing else.
SIGNING_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=True,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class DevCredentials:
    """Where the development signing material lives, and the root to trust when verifying."""

    directory: Path
    pkcs12_path: Path
    passphrase: bytes = field(repr=False)
    root_certificate_path: Path
    root_certificate: asn1_x509.Certificate = field(repr=False)


def ensure_dev_ca(directory: Path, *, agency_name: str = "sohoa") -> DevCredentials:
    """Return the development CA under ``directory``, creating or renewing it when needed."""
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with _locked(directory / _LOCK):
        now = dt.datetime.now(dt.UTC)
        passphrase = _read_or_create_passphrase(directory / _PASSPHRASE)
        root_cert, root_key = _load_or_create_root(directory, passphrase, now)
        if not _signer_is_current(directory / _SIGNER_P12, passphrase, root_cert, now):
            _issue_signer(directory / _SIGNER_P12, passphrase, root_cert, root_key, agency_name, now)
    return DevCredentials(
        directory=directory,
        pkcs12_path=directory / _SIGNER_P12,
        passphrase=passphrase,
        root_certificate_path=directory / _ROOT_CERT,
        root_certificate=asn1_x509.Certificate.load(root_cert.public_bytes(serialization.Encoding.DER)),
    )


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_or_create_passphrase(path: Path) -> bytes:
    if path.exists():
        secret = path.read_bytes().strip()
        if secret:
            return secret
    secret = secrets.token_urlsafe(32).encode()
    _write_atomically(path, secret + b"\n", 0o600)
    return secret


def _name(common_name: str, organization: str) -> x509.Name:
    # X.520 caps both at 64 characters; long agency names are cut rather than refused
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, _DEV_LABEL),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]),
        ]
    )


def _load_or_create_root(
    directory: Path, passphrase: bytes, now: dt.datetime
) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    cert_path, key_path = directory / _ROOT_CERT, directory / _ROOT_KEY
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), passphrase)
        if isinstance(key, rsa.RSAPrivateKey) and cert.not_valid_after_utc - _RENEW_BEFORE > now:
            return cert, key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = _name(DEV_ROOT_NAME, "sohoa (development only)")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _ROOT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    encrypted_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    _write_atomically(key_path, encrypted_key, 0o600)
    _write_atomically(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert, key


def _signer_is_current(p12_path: Path, passphrase: bytes, root_cert: x509.Certificate, now: dt.datetime) -> bool:
    if not p12_path.exists():
        return False
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(p12_path.read_bytes(), passphrase)
    except ValueError:
        return False
    if key is None or cert is None or cert.not_valid_after_utc - _RENEW_BEFORE <= now:
        return False
    try:
        cert.verify_directly_issued_by(root_cert)  # a renewed root needs a new signer too
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _issue_signer(
    p12_path: Path,
    passphrase: bytes,
    root_cert: x509.Certificate,
    root_key: rsa.RSAPrivateKey,
    agency_name: str,
    now: dt.datetime,
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root_ski = root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(agency_name, agency_name))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _SIGNER_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(SIGNING_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"sohoa-dev-signer",
        key,
        cert,
        [root_cert],
        serialization.BestAvailableEncryption(passphrase),
    )
    _write_atomically(p12_path, data, 0o600)

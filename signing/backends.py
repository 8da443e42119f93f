"""Signer backends: who signs. Each opens its key once and hands out one reusable pyHanko ``Signer``.

- PKCS#12 file: the key is decrypted and parsed once. pyHanko's own ``SimpleSigner`` re-parses the
  private key for every signature (about 30 ms for RSA-2048, twice per document with its dry run);
  ours keeps the parsed key object.
- PKCS#11 token/HSM: one session opened once, key and certificate looked up once.
- Development CA: a PKCS#12 backend over :func:`signing.devca.ensure_dev_ca`, used only when no real
  key is configured; its root is the trust root for verification.

What is signed (level, field, timestamps) is :mod:`signing.pades`'s business.
"""

from __future__ import annotations

import asyncio
import threading
from abc import abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.config.pkcs11 import PKCS11SignatureConfig, TokenCriteria
from pyhanko.keys.internal import (
    translate_pyca_cryptography_cert_to_asn1,
    translate_pyca_cryptography_key_to_asn1,
)
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from sohoa.core.closing import Closing
from sohoa.core.errors import ConfigurationError, SigningError
from sohoa.core.settings import Settings
from sohoa.signing.devca import ensure_dev_ca

__all__ = [
    "Pkcs11Backend",
    "Pkcs12Backend",
    "SignerBackend",
    "key_matches_certificate",
    "load_signer",
    "open_dev_ca",
    "open_pkcs11",
    "open_pkcs12",
    "pkcs11_config",
]

_PROBE = b"sohoa signing key probe"
_S = TypeVar("_S")


class SignerBackend(Closing):
    """A signing key opened once; ``signer`` is reused for every document until ``close()``."""

    kind: str
    signer: Signer
    development_root: x509.Certificate | None = None  # set only for the development CA

    @property
    def certificate(self) -> x509.Certificate:
        cert = self.signer.signing_cert
        if cert is None:  # pragma: no cover - both backends always load one
            raise SigningError("signer has no certificate", code="signer_unavailable")
        return cert

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The other certificates the backend knows (intermediates, maybe the root)."""
        own = self.certificate
        return tuple(c for c in self.signer.cert_registry if c != own)

    def close(self) -> None:
        """Release the key (token session, ...): nothing to release by default."""

    def in_use(self) -> AbstractContextManager[Any]:
        """Held while signing: a backend whose key cannot sign twice at once serialises here."""
        return nullcontext()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.kind} {self.certificate.subject.human_friendly!r}>"

    @abstractmethod
    def describe(self) -> str:
        """Where the key lives, for logs and /readyz (never a secret)."""


class _ParsedKeySigner(SimpleSigner):
    """A ``SimpleSigner`` that signs with a key parsed once instead of once per signature."""

    def __init__(
        self,
        certificate: x509.Certificate,
        private_key: Any,
        registry: SimpleCertificateStore,
    ) -> None:
        super().__init__(
            signing_cert=certificate,
            signing_key=translate_pyca_cryptography_key_to_asn1(private_key),
            cert_registry=registry,
        )
        self._private_key = private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algo = mechanism["algorithm"].native
        key = self._private_key
        if isinstance(key, rsa.RSAPrivateKey):
            if algo == "rsassa_pss":
                pss, md = process_pss_params(mechanism["parameters"])
                return key.sign(data, pss, md)
            return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
        if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
            return key.sign(data)
        return super().sign_raw(data, digest_algorithm)


class Pkcs12Backend(SignerBackend):
    def __init__(self, path: Path, signer: Signer, *, kind: str = "pkcs12") -> None:
        self.path = path
        self.signer = signer
        self.kind = kind

    def describe(self) -> str:
        return f"{self.kind}:{self.path}"


def open_pkcs12(path: Path, passphrase: bytes | None) -> Pkcs12Backend:
    """Open a PKCS#12 file; the passphrase is used once and never logged or kept."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read PKCS#12 file {path}: {exc.strerror}", code="signer_unavailable") from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase or None)
    except ValueError:
        # cryptography's message may echo details of the file; ours names only the path
        raise SigningError(
            f"cannot open PKCS#12 file {path}: wrong passphrase or damaged file", code="signer_unavailable"
        ) from None
    if key is None or cert is None:
        raise SigningError(f"PKCS#12 file {path} holds no key and certificate", code="signer_unavailable")
    if key.public_key() != cert.public_key():
        raise SigningError(f"the private key in {path} does not match its certificate", code="key_mismatch")
    registry = SimpleCertificateStore()
    registry.register_multiple(translate_pyca_cryptography_cert_to_asn1(c) for c in extra)
    signer = _ParsedKeySigner(translate_pyca_cryptography_cert_to_asn1(cert), key, registry)
    return Pkcs12Backend(Path(path), signer)


def pkcs11_config(settings: Settings) -> PKCS11SignatureConfig | None:
    """The ``pkcs11_*`` settings as pyHanko's configuration; None when no module is configured.

    The PIN stays out of it (the dataclass prints every field in its repr), and so does
    ``pkcs11_raw_mechanism``, whose unset value (automatic) pyHanko's field lacks: :func:`load_signer`
    gives both to :func:`open_pkcs11` apart."""
    if settings.pkcs11_module is None:
        return None
    token = settings.pkcs11_token_label
    if not token or not (settings.pkcs11_key_label or settings.pkcs11_key_id):
        raise ConfigurationError(
            "SOHOA_PKCS11_MODULE needs SOHOA_PKCS11_TOKEN_LABEL and SOHOA_PKCS11_KEY_LABEL (or SOHOA_PKCS11_KEY_ID)",
            code="pkcs11_incomplete",
        )
    return PKCS11SignatureConfig(
        module_path=str(settings.pkcs11_module),
        token_criteria=TokenCriteria(label=token),
        key_label=settings.pkcs11_key_label,
        # checked to be hex when the settings were read
        key_id=bytes.fromhex(settings.pkcs11_key_id) if settings.pkcs11_key_id else None,
        # The key's label when not given: left unset, pyHanko would look for a certificate carrying
        # the key's id as well whenever the key is named by both.
        cert_label=settings.pkcs11_cert_label or settings.pkcs11_key_label,
        # Tokens issued to agencies carry the CA chain beside the signer: embed it, or no verifier
        # without the intermediate can build the path to the root.
        other_certs_to_pull=None,
    )


class Pkcs11Backend(SignerBackend):
    kind = "pkcs11"

    def __init__(self, config: PKCS11SignatureConfig, session: Any, signer: Signer) -> None:
        self.config = config
        self.signer = signer
        self._session = session
        self.lock = threading.Lock()

    def in_use(self) -> AbstractContextManager[Any]:
        # one PKCS#11 session must not run two operations at once
        return self.lock

    def describe(self) -> str:
        key = self.config.key_label or (self.config.key_id or b"").hex()
        return f"pkcs11:{self.config.module_path}#{_token_label(self.config)}/{key}"

    def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            session.close()


def open_pkcs11(
    config: PKCS11SignatureConfig, *, pin: str | None = None, raw_mechanism: bool | None = None
) -> Pkcs11Backend:
    """Open a session on the token and find the key and certificate, once.

    Of the config, the fields :func:`pkcs11_config` sets are read (module, token, key, certificate,
    other certificates to pull) and ``raw_mechanism``; pyHanko's other options keep their defaults,
    and the PIN comes as ``pin``. ``raw_mechanism`` signs with the token's raw mechanism, hashing
    here; None: as the config says, and for EC keys always, since SoftHSM2 and many HSMs offer
    CKM_ECDSA but not CKM_ECDSA_SHA256."""
    # python-pkcs11 is an optional native extension: import it only when a token is configured
    from pkcs11.exceptions import PKCS11Error as NativePkcs11Error
    from pyhanko.sign.general import SigningError as PyhankoSigningError
    from pyhanko.sign.pkcs11 import PKCS11Error, PKCS11Signer, open_pkcs11_session

    token = _token_label(config)
    if not Path(config.module_path).exists():
        raise SigningError(f"PKCS#11 module {config.module_path} not found", code="signer_unavailable")
    try:
        session = open_pkcs11_session(config.module_path, token_criteria=config.token_criteria, user_pin=pin)
    except (PKCS11Error, NativePkcs11Error, RuntimeError) as exc:
        raise SigningError(
            f"cannot open PKCS#11 token {token!r}: {type(exc).__name__} {exc}",
            code="signer_unavailable",
        ) from None
    try:
        signer = _open_pkcs11_signer(_own_cert_once(PKCS11Signer), session, config, raw_mechanism)
    except (PKCS11Error, NativePkcs11Error, PyhankoSigningError) as exc:
        session.close()
        raise SigningError(f"cannot use key on PKCS#11 token {token!r}: {exc}", code="signer_unavailable") from None
    except BaseException:
        session.close()
        raise
    backend = Pkcs11Backend(config, session, signer)
    if not key_matches_certificate(backend):
        backend.close()
        raise SigningError(
            f"the key on PKCS#11 token {token!r} does not match its certificate",
            code="key_mismatch",
        )
    return backend


def _token_label(config: PKCS11SignatureConfig) -> str | None:
    return config.token_criteria.label if config.token_criteria is not None else None


def _open_pkcs11_signer(
    signer_cls: Any, session: Any, config: PKCS11SignatureConfig, raw_mechanism: bool | None
) -> Signer:
    signer = signer_cls(
        session,
        key_label=config.key_label,
        key_id=config.key_id,
        cert_label=config.cert_label,
        other_certs_to_pull=config.other_certs_to_pull,
        use_raw_mechanism=config.raw_mechanism if raw_mechanism is None else raw_mechanism,
    )
    cert = signer.signing_cert  # loads certificate and key handle now, not at the first document
    if raw_mechanism is None and cert.public_key.algorithm == "ec":
        signer.use_raw_mechanism = True  # read at each signature, so the key need not be looked up again
    return signer


def _own_cert_once(signer_cls: Any) -> Any:
    """pyHanko's PKCS#11 signer keeps its own certificate in the registry of certificates it embeds
    beside it, so the CMS carried the signer's certificate twice (endesive refuses such signatures):
    the registry it embeds leaves that certificate out, and holds each other certificate once."""

    class Pkcs11SignerOwnCertOnce(signer_cls):  # type: ignore[misc,valid-type]
        @property
        def cert_registry(self) -> SimpleCertificateStore:
            seen = {self.signing_cert.dump()}
            store = SimpleCertificateStore()
            for cert in super().cert_registry:
                if cert.dump() not in seen:
                    seen.add(cert.dump())
                    store.register(cert)
            return store

    return Pkcs11SignerOwnCertOnce


def key_matches_certificate(backend: SignerBackend) -> bool:
    """Sign a probe with the backend's key and check it against the certificate's public key."""
    signer = backend.signer
    cert = backend.certificate
    mechanism = signer.get_signature_mechanism_for_digest("sha256")
    signature = asyncio.run(signer.async_sign_raw(_PROBE, "sha256"))
    try:
        DefaultSignatureValidator().validate_signature(
            signature,
            _PROBE,
            cert.public_key,
            mechanism,
            SignatureValidationContext(contextual_md_algorithm="sha256"),
        )
    except InvalidSignature:
        return False
    return True


def _read_secret(read: Callable[[], _S], variable: str, *, code: str) -> _S:
    """A PIN or passphrase by ``read``; a file that cannot be read is a configuration fault, named by
    its variable and the system's reason (never by anything read from it)."""
    try:
        return read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {variable}: {exc.strerror}", code=code) from None


def load_signer(settings: Settings) -> SignerBackend:
    """Open the configured key: a PKCS#11 token (``SOHOA_PKCS11_*``), else a PKCS#12 file, else the
    development CA under the data dir."""
    token_config = pkcs11_config(settings)
    if token_config is not None and settings.pkcs12_path is not None:
        raise ConfigurationError(
            "both SOHOA_PKCS11_MODULE and SOHOA_PKCS12_PATH are set: choose one signing key",
            code="ambiguous_signer",
        )
    if token_config is not None:
        pin = _read_secret(settings.pkcs11_secret, "SOHOA_PKCS11_PIN_FILE", code="pkcs11_incomplete")
        return open_pkcs11(token_config, pin=pin, raw_mechanism=settings.pkcs11_raw_mechanism)
    if settings.pkcs12_path is not None:
        passphrase = _read_secret(settings.pkcs12_secret, "SOHOA_PKCS12_PASSPHRASE_FILE", code="signer_unavailable")
        return open_pkcs12(settings.pkcs12_path, passphrase)
    return open_dev_ca(settings.dev_ca_dir, agency_name=settings.agency_name)


def open_dev_ca(directory: Path, *, agency_name: str = "sohoa") -> Pkcs12Backend:
    """The development CA's signer (created on first use); its root is ``development_root``."""
    creds = ensure_dev_ca(directory, agency_name=agency_name)
    backend = open_pkcs12(creds.pkcs12_path, creds.passphrase)
    backend.kind = "dev-ca"
    backend.development_root = creds.root_certificate
    return backend

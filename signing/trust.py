"""The certificates a verification trusts: the configured roots, plus the development root in embedded mode.

The configured roots are the files of ``Settings.trust_roots`` (``SOHOA_TRUST_ROOTS``); a PEM file may
hold several certificates (a national root and its intermediates).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from asn1crypto import x509

from sohoa.core.errors import ConfigurationError
from sohoa.core.settings import Settings

__all__ = ["embedded_signer", "load_certificates", "trust_roots"]


def embedded_signer(settings: Settings) -> bool:
    """No real key is configured: the development CA signs, and its root is trusted."""
    return settings.pkcs12_path is None and settings.pkcs11_module is None


def load_certificates(paths: Iterable[Path]) -> list[x509.Certificate]:
    """Every certificate in the given PEM/DER files; an unreadable file is a configuration error."""
    from pyhanko.keys import load_certs_from_pemder

    certs: list[x509.Certificate] = []
    for path in paths:
        try:
            found = list(load_certs_from_pemder([str(path)]))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read trust root {path}: {exc}", code="bad_trust_root") from None
        if not found:
            raise ConfigurationError(f"no certificate in trust root file {path}", code="bad_trust_root")
        certs.extend(found)
    return certs


def trust_roots(settings: Settings, extra: Iterable[Path] = ()) -> list[x509.Certificate]:
    """``extra`` files, the ``trust_roots`` files and, in embedded mode, the development root
    (when the development CA exists: nothing it signed can exist before)."""
    paths = [*extra, *settings.trust_roots]
    dev_root = settings.dev_ca_dir / "root-ca.pem"
    if embedded_signer(settings) and dev_root.exists():
        paths.append(dev_root)
    seen: set[bytes] = set()
    roots = []
    for cert in load_certificates(paths):
        if cert.dump() not in seen:
            seen.add(cert.dump())
            roots.append(cert)
    return roots

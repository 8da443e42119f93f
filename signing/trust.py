"""The certificates a verification trusts: the configured roots, plus the development root in embedded mode.

``SOHOA_TRUST_ROOTS`` names one or more PEM (or DER) files, separated by ``os.pathsep`` (``:``) or
commas; a PEM file may hold several certificates (a national root and its intermediates).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from asn1crypto import x509

from core.errors import ConfigurationError
from core.settings import Settings

__all__ = ["TRUST_ROOTS_ENV", "configured_root_paths", "embedded_signer", "load_certificates", "trust_roots"]

TRUST_ROOTS_ENV = "SOHOA_TRUST_ROOTS"


def configured_root_paths(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The files named by ``SOHOA_TRUST_ROOTS`` (none when unset)."""
    env = os.environ if environ is None else environ
    raw = env.get(TRUST_ROOTS_ENV, "")
    parts = [p.strip() for chunk in raw.split(os.pathsep) for p in chunk.split(",")]
    return [Path(p).expanduser() for p in parts if p]


def embedded_signer(settings: Settings, environ: Mapping[str, str] | None = None) -> bool:
    """No real key is configured: the development CA signs, and its root is trusted."""
    env = os.environ if environ is None else environ
    return settings.pkcs12_path is None and not env.get("SOHOA_PKCS11_MODULE")


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


def trust_roots(
    settings: Settings, extra: Iterable[Path] = (), environ: Mapping[str, str] | None = None
) -> list[x509.Certificate]:
    """``extra`` files, the ``SOHOA_TRUST_ROOTS`` files and, in embedded mode, the development root
    (when the development CA exists: nothing it signed can exist before)."""
    paths = [*extra, *configured_root_paths(environ)]
    dev_root = settings.dev_ca_dir / "root-ca.pem"
    if embedded_signer(settings, environ) and dev_root.exists():
        paths.append(dev_root)
    seen: set[bytes] = set()
    roots = []
    for cert in load_certificates(paths):
        if cert.dump() not in seen:
            seen.add(cert.dump())
            roots.append(cert)
    return roots

"""Health of the configured signing certificate, for /readyz and metrics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from asn1crypto import x509

from core.errors import SigningError
from signing.backends import SignerBackend, key_matches_certificate

__all__ = ["EXPIRY_WARNING", "CertificateWarning", "certificate_days_left", "check_certificate"]

EXPIRY_WARNING = dt.timedelta(days=30)

WarningCode = Literal["expired", "not_yet_valid", "expires_soon", "missing_chain", "key_mismatch", "signer_unavailable"]


@dataclass(frozen=True)
class CertificateWarning:
    code: WarningCode
    message: str
    fatal: bool  # signing is refused while this holds


def certificate_days_left(backend: SignerBackend, now: dt.datetime) -> float:
    """Days until the signing certificate expires (negative once expired)."""
    return (_not_after(backend.certificate) - now).total_seconds() / 86400


def check_certificate(backend: SignerBackend, now: dt.datetime) -> list[CertificateWarning]:
    """Everything wrong, or about to go wrong, with the backend's certificate and key."""
    cert = backend.certificate
    subject = cert.subject.human_friendly
    warnings: list[CertificateWarning] = []
    not_after = _not_after(cert)
    not_before = cert["tbs_certificate"]["validity"]["not_before"].native
    if now >= not_after:
        warnings.append(
            CertificateWarning("expired", f"signing certificate {subject!r} expired on {not_after:%Y-%m-%d}", True)
        )
    elif now < not_before:
        warnings.append(
            CertificateWarning(
                "not_yet_valid", f"signing certificate {subject!r} is valid from {not_before:%Y-%m-%d}", True
            )
        )
    elif not_after - now <= EXPIRY_WARNING:
        days = (not_after - now).days
        warnings.append(
            CertificateWarning(
                "expires_soon",
                f"signing certificate {subject!r} expires on {not_after:%Y-%m-%d} (in {days} days)",
                False,
            )
        )
    if not _chain_complete(cert, backend.chain):
        warnings.append(
            CertificateWarning(
                "missing_chain",
                f"the issuer of {subject!r} ({cert.issuer.human_friendly}) is not among the backend's "
                "certificates: verifiers may fail to build the chain",
                False,
            )
        )
    try:
        matches = key_matches_certificate(backend)
    except (SigningError, OSError, RuntimeError, ValueError) as exc:
        warnings.append(CertificateWarning("signer_unavailable", f"the signing key cannot sign: {exc}", True))
    else:
        if not matches:
            warnings.append(CertificateWarning("key_mismatch", "the signing key does not match the certificate", True))
    return warnings


def _not_after(cert: x509.Certificate) -> dt.datetime:
    return cert["tbs_certificate"]["validity"]["not_after"].native


def _chain_complete(cert: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> bool:
    """The signer's issuer is at hand (or the certificate is self-issued).

    A missing root is normal (verifiers bring their own); a missing issuing CA is not."""
    return cert.issuer == cert.subject or any(c.subject == cert.issuer for c in chain)

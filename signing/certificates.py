"""Health of the configured signing certificate, for /readyz and metrics."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

from sohoa.core.errors import SigningError
from sohoa.signing.backends import SignerBackend, key_matches_certificate

__all__ = [
    "EXPIRY_WARNING",
    "CertificateWarning",
    "certificate_days_left",
    "check_certificate",
    "check_revocation",
    "validity_warning",
]

log = logging.getLogger(__name__)

EXPIRY_WARNING = dt.timedelta(days=30)

WarningCode = Literal[
    "expired",
    "not_yet_valid",
    "expires_soon",
    "missing_chain",
    "key_mismatch",
    "signer_unavailable",
    "revoked",
    "test_signature_failed",
]

# The reason code of a fatal warning's refusal (signing errors, held documents' events) where it is not
# the warning's own: the codes signing.pades gives pyHanko's validation failures too.
_ERROR_CODES: dict[WarningCode, str] = {
    "expired": "certificate_expired",
    "revoked": "certificate_revoked",
    "not_yet_valid": "certificate_not_yet_valid",
}


@dataclass(frozen=True)
class CertificateWarning:
    code: WarningCode
    message: str
    fatal: bool  # signing is refused while this holds
    # what the message says, for machines (e.g. the date passed); left out of equality, as the message tells it
    details: Mapping[str, str] = field(default_factory=dict, compare=False)

    def error(self) -> SigningError:
        """The refusal a fatal warning stands for: what signing raises, and a held document records."""
        return SigningError(self.message, code=_ERROR_CODES.get(self.code, self.code), details=dict(self.details))


def certificate_days_left(backend: SignerBackend, now: dt.datetime) -> float:
    """Days until the signing certificate expires (negative once expired)."""
    return (backend.certificate.not_valid_after - now).total_seconds() / 86400


def check_certificate(
    backend: SignerBackend,
    now: dt.datetime,
    *,
    trust_roots: Sequence[x509.Certificate] | None = None,
) -> list[CertificateWarning]:
    """Everything wrong, or about to go wrong, with the backend's certificate and key.

    With ``trust_roots`` (a list, maybe empty), revocation is checked too, online, where the
    certificate names an OCSP responder or CRL (see :func:`check_revocation`)."""
    cert = backend.certificate
    subject = cert.subject.human_friendly
    warnings: list[CertificateWarning] = []
    not_after = cert.not_valid_after
    outside = validity_warning(cert, now)
    if outside is not None:
        warnings.append(outside)
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
        with backend.in_use():  # a token session serves one operation at a time: wait for signing
            matches = key_matches_certificate(backend)
    except (SigningError, OSError, RuntimeError, ValueError) as exc:
        warnings.append(CertificateWarning("signer_unavailable", f"the signing key cannot sign: {exc}", True))
    else:
        if not matches:
            warnings.append(CertificateWarning("key_mismatch", "the signing key does not match the certificate", True))
    if trust_roots is not None and outside is None:
        revoked = check_revocation(backend, trust_roots, now)
        if revoked is not None:
            warnings.append(revoked)
    return warnings


def validity_warning(cert: x509.Certificate, now: dt.datetime) -> CertificateWarning | None:
    """A fatal warning when ``now`` is outside the certificate's validity period, else None.

    The period includes both its ends (RFC 5280, 4.1.2.5), as pyHanko's validator reads it: the one
    judgement the certificate check and signing (signing.pades) share, so they never disagree."""
    not_before, not_after = cert.not_valid_before, cert.not_valid_after
    subject = cert.subject.human_friendly
    if now > not_after:
        message = f"signing certificate {subject!r} expired on {not_after:%Y-%m-%d}"
        return CertificateWarning("expired", message, True, {"not_after": not_after.isoformat()})
    if now < not_before:
        message = f"signing certificate {subject!r} is not valid before {not_before:%Y-%m-%d}"
        return CertificateWarning("not_yet_valid", message, True, {"not_before": not_before.isoformat()})
    return None


def check_revocation(
    backend: SignerBackend, trust_roots: Sequence[x509.Certificate], now: dt.datetime
) -> CertificateWarning | None:
    """A fatal warning when the certificate's CA says it is revoked; None when it is not, or when that
    cannot be known (no chain to a root, no revocation source, responder unreachable)."""
    roots = [*trust_roots, *(c for c in backend.chain if c.self_signed != "no")]
    if backend.development_root is not None:
        roots.append(backend.development_root)
    subject = backend.certificate.subject.human_friendly

    async def validate() -> str | None:
        context = ValidationContext(
            trust_roots=roots,
            other_certs=list(backend.chain),
            allow_fetching=True,
            revocation_mode="soft-fail",  # unreachable responders are no verdict
            moment=now,
        )
        validator = CertificateValidator(
            backend.certificate, intermediate_certs=backend.chain, validation_context=context
        )
        try:
            await validator.async_validate_usage(set())
        except RevokedError as exc:
            return str(exc)
        except (PathBuildingError, PathValidationError):
            return None
        finally:
            await context.aclose()
        return None

    try:
        reason = asyncio.run(validate())
    except (OSError, ValueError) as exc:  # a broken responder answer is no verdict either
        log.warning("revocation of the signing certificate could not be checked: %s", exc)
        return None
    if reason is None:
        return None
    return CertificateWarning("revoked", f"signing certificate {subject!r} is revoked: {reason}", True)


def _chain_complete(cert: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> bool:
    """The signer's issuer is at hand (or the certificate is self-issued).

    A missing root is normal (verifiers bring their own); a missing issuing CA is not."""
    return cert.issuer == cert.subject or any(c.subject == cert.issuer for c in chain)

"""The signer's health: the key and certificate checked now and then, the last answer cached per
runtime, and whether signing must wait."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from sohoa.core.clock import utcnow
from sohoa.core.domain import SignRequest
from sohoa.core.errors import ConfigurationError, SohoaError
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.schedule import repeat
from sohoa.signing.certificates import CertificateWarning, certificate_days_left, check_certificate
from sohoa.signing.trust import trust_roots

log = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(minutes=10)  # how stale a signer check may be before signing re-checks


@dataclass(frozen=True)
class SignerHealth:
    checked_at: dt.datetime
    signer: str | None  # where the key lives (never a secret)
    subject: str | None
    issuer: str | None
    not_after: dt.datetime | None
    days_left: float | None
    warnings: tuple[CertificateWarning, ...]

    @property
    def blocking(self) -> CertificateWarning | None:
        """The first warning that stops signing."""
        return next((w for w in self.warnings if w.fatal), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.blocking is None,
            "signer": self.signer,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": None if self.days_left is None else round(self.days_left, 1),
            "warnings": [{"code": w.code, "message": w.message, "fatal": w.fatal} for w in self.warnings],
            "checked_at": self.checked_at.isoformat(),
        }


def check_signer(rt: Runtime, *, now: dt.datetime | None = None) -> SignerHealth:
    """Check the signing key and certificate now; log what is wrong; cache the answer.

    When the key in use cannot sign (expired, revoked, mismatched), the configured key is opened
    afresh: an administrator who replaced the PKCS#12 file or token needs no restart."""
    with rt.signer_check_lock:
        health = _check(rt, now or utcnow())
        rt.signer_health = health
    for w in health.warnings:
        log.log(logging.ERROR if w.fatal else logging.WARNING, "signing certificate %s: %s", w.code, w.message)
    return health


def _check(rt: Runtime, now: dt.datetime) -> SignerHealth:
    try:
        roots = trust_roots(rt.settings)
    except ConfigurationError as exc:
        log.warning("signer check without the configured trust roots: %s", exc)
        roots = []
    try:
        backend = rt.signer()
    except SohoaError as exc:
        unavailable = CertificateWarning("signer_unavailable", exc.message, True)
        return SignerHealth(now, None, None, None, None, None, (unavailable,))
    warnings = check_certificate(backend, now, trust_roots=roots)
    if any(w.fatal for w in warnings):
        backend, warnings = _reopen(rt, backend, warnings, roots, now)
    if not any(w.fatal for w in warnings):
        failed = _test_signature(rt, backend)
        if failed is not None:
            warnings = [*warnings, failed]
    days = certificate_days_left(backend, now)
    return SignerHealth(
        checked_at=now,
        signer=backend.describe(),
        subject=backend.certificate.subject.human_friendly,
        issuer=backend.certificate.issuer.human_friendly,
        not_after=now + dt.timedelta(days=days),
        days_left=days,
        warnings=tuple(warnings),
    )


def _test_signature(rt: Runtime, backend: Any) -> CertificateWarning | None:
    """Sign a one-page PDF as a document would be signed: configured key, level and TSA.

    A certificate that looks fit says nothing of a token that refuses to sign, a TSA that does not
    answer, or a library the install lacks (pyHanko's timestamp client once needed a package only
    the test extras brought in): readiness means a signature was actually made."""
    with tempfile.TemporaryDirectory(prefix="sohoa-signer-check-") as tmp:
        source, signed = Path(tmp, "check.pdf"), Path(tmp, "check-signed.pdf")
        with pikepdf.new() as pdf:
            pdf.add_blank_page(page_size=(595, 842))
            pdf.save(source)
        request = SignRequest(input_path=source, output_path=signed, level=rt.settings.signing_level)
        try:
            from sohoa.signing.pades import sign_pdf  # here: a library missing from the install is an answer too

            sign_pdf(request, backend, timestamper=rt.settings.tsa_url)
        except Exception as exc:  # any failure is the answer: readiness reports it, it must not raise
            log.warning("test signature failed", exc_info=True)
            reason = exc.message if isinstance(exc, SohoaError) else f"{type(exc).__name__}: {exc}"
            return CertificateWarning("test_signature_failed", f"a test signature could not be made: {reason}", True)
    return None


def _reopen(rt: Runtime, old: Any, warnings: list[CertificateWarning], roots: list[Any], now: dt.datetime) -> Any:
    from sohoa.signing.backends import load_signer

    try:
        fresh = load_signer(rt.settings)
    except SohoaError as exc:
        log.warning("the configured signing key could not be reopened: %s", exc)
        return old, warnings
    fresh_warnings = check_certificate(fresh, now, trust_roots=roots)
    if any(w.fatal for w in fresh_warnings):
        fresh.close()
        return old, warnings
    # Runtime keeps its signer private; it has no replace method yet, so swap under its own lock.
    rt.replace_signer(fresh)
    with old.in_use():  # a token session is closed only once no document is being signed with it
        old.close()
    log.warning("signing key reopened: %s now signs", fresh.describe())
    return fresh, fresh_warnings


def _recent(rt: Runtime, max_age: dt.timedelta = CHECK_EVERY) -> SignerHealth:
    health = rt.signer_health
    if health is None or utcnow() - health.checked_at >= max_age:
        health = check_signer(rt)
    return health


def signing_blocked(rt: Runtime, *, max_age: dt.timedelta = CHECK_EVERY) -> CertificateWarning | None:
    """What makes signing wait now, or None; re-checks at most every ``max_age``."""
    return _recent(rt, max_age).blocking


def signer_status(rt: Runtime, *, fresh: bool = False) -> SignerHealth:
    """The signer's health for people and probes: from a check at most ``CHECK_EVERY`` old, or now."""
    return check_signer(rt) if fresh else _recent(rt)


def signer_readiness(rt: Runtime) -> dict[str, Any]:
    """The signer's part of ``/readyz`` (JSON-able), from a check at most ``CHECK_EVERY`` old."""
    return _recent(rt).to_dict()


def signer_metrics(rt: Runtime) -> dict[str, Any]:
    """For the metrics endpoint: days until the certificate expires and the current warning codes."""
    health = _recent(rt)
    return {
        "days_left": health.days_left,
        "warnings": [w.code for w in health.warnings],
        "blocked": health.blocking is not None,
    }


def start_certificate_checks(rt: Runtime, *, interval: float = 86400.0) -> threading.Event:
    """Check (and log) now, then every ``interval`` seconds, on a daemon thread; set the event to stop."""
    return repeat("signer-check", interval, lambda: check_signer(rt), now=True)

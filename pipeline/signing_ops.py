"""Signing over the catalogue and the object store: the signer's health (which may hold signing),
signatures found on inputs, verification of archived copies and renewal of their timestamps.

Called by the sign stage, the API, the CLI and the worker; the signing itself is :mod:`signing`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from core.clock import utcnow
from core.domain import DocumentState, SignRequest
from core.errors import ConfigurationError, NotFound, SigningError, SohoaError
from pipeline.runtime import Runtime
from signing.certificates import CertificateWarning, certificate_days_left, check_certificate
from signing.stamp import CopyStamp, copy_stamp_from_env
from signing.trust import trust_roots
from signing.verify import verify_pdf
from storage.catalogue import get_document, record_event, release_document
from storage.records import DocumentRecord
from storage.signing_records import ArchiveRenewalRecord, ExistingSignatureRecord, SignatureCheckRecord

__all__ = [
    "CHECK_EVERY",
    "SignerHealth",
    "check_signer",
    "copy_stamp",
    "current_archive_key",
    "hold_for_signer",
    "latest_verification",
    "record_existing_signatures",
    "renew_archive_timestamps",
    "sign_document",
    "signer_metrics",
    "signer_readiness",
    "signing_blocked",
    "start_certificate_checks",
    "verify_archived",
]

log = logging.getLogger(__name__)

CHECK_EVERY = dt.timedelta(minutes=10)  # how stale a signer check may be before signing re-checks
SYSTEM = "system"
# certificate warnings as the reason codes signing errors use (signing.pades)
_REASON_CODES = {
    "expired": "certificate_expired",
    "revoked": "certificate_revoked",
    "not_yet_valid": "certificate_not_yet_valid",
}


@dataclass(frozen=True)
class SignerHealth:
    checked_at: dt.datetime
    signer: str | None  # where the key lives (never a secret)
    subject: str | None
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
            "not_after": self.not_after.isoformat() if self.not_after else None,
            "days_left": None if self.days_left is None else round(self.days_left, 1),
            "warnings": [{"code": w.code, "message": w.message, "fatal": w.fatal} for w in self.warnings],
            "checked_at": self.checked_at.isoformat(),
        }


class _HealthCache:
    """The last check per runtime (a Runtime is unhashable: keyed by id, the runtime kept alive)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # one check at a time: a check may reopen the key
        self.entries: dict[int, tuple[Runtime, SignerHealth]] = {}

    def get(self, rt: Runtime) -> SignerHealth | None:
        entry = self.entries.get(id(rt))
        return entry[1] if entry is not None and entry[0] is rt else None

    def put(self, rt: Runtime, health: SignerHealth) -> None:
        self.entries[id(rt)] = (rt, health)


_cache = _HealthCache()


def check_signer(rt: Runtime, *, now: dt.datetime | None = None) -> SignerHealth:
    """Check the signing key and certificate now; log what is wrong; cache the answer.

    When the key in use cannot sign (expired, revoked, mismatched), the configured key is opened
    afresh: an administrator who replaced the PKCS#12 file or token needs no restart."""
    with _cache.lock:
        health = _check(rt, now or utcnow())
        _cache.put(rt, health)
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
        return SignerHealth(now, None, None, None, None, (CertificateWarning("signer_unavailable", exc.message, True),))
    warnings = check_certificate(backend, now, trust_roots=roots)
    if any(w.fatal for w in warnings):
        backend, warnings = _reopen(rt, backend, warnings, roots, now)
    days = certificate_days_left(backend, now)
    return SignerHealth(
        checked_at=now,
        signer=backend.describe(),
        subject=backend.certificate.subject.human_friendly,
        not_after=now + dt.timedelta(days=days),
        days_left=days,
        warnings=tuple(warnings),
    )


def _reopen(rt: Runtime, old: Any, warnings: list[CertificateWarning], roots: list[Any], now: dt.datetime) -> Any:
    from signing.backends import load_signer

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


def signing_blocked(rt: Runtime, *, max_age: dt.timedelta = CHECK_EVERY) -> str | None:
    """Why signing must wait (``"<code>: <message>"``), or None; re-checks at most every ``max_age``."""
    health = _cache.get(rt)
    if health is None or utcnow() - health.checked_at >= max_age:
        health = check_signer(rt)
    blocking = health.blocking
    return None if blocking is None else f"{blocking.code}: {blocking.message}"


def signer_readiness(rt: Runtime) -> dict[str, Any]:
    """The signer's part of ``/readyz`` (JSON-able), from a check at most ``CHECK_EVERY`` old."""
    signing_blocked(rt)
    health = _cache.get(rt)
    assert health is not None
    return health.to_dict()


def signer_metrics(rt: Runtime) -> dict[str, Any]:
    """For the metrics endpoint: days until the certificate expires and the current warning codes."""
    signing_blocked(rt)
    health = _cache.get(rt)
    assert health is not None
    return {
        "days_left": health.days_left,
        "warnings": [w.code for w in health.warnings],
        "blocked": health.blocking is not None,
    }


def start_certificate_checks(rt: Runtime, *, interval: float = 86400.0) -> threading.Event:
    """Check (and log) now, then every ``interval`` seconds, on a daemon thread; set the event to stop."""
    stop = threading.Event()

    def loop() -> None:
        while True:
            try:
                check_signer(rt)
            except Exception:  # a failing check must not end the loop
                log.warning("signer check failed", exc_info=True)
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="sohoa-signer-check", daemon=True).start()
    return stop


def hold_for_signer(rt: Runtime, document_id: str) -> bool:
    """Called by the sign stage first: when signing is blocked, leave the document in its state,
    record why (event ``signing.held``), release its lease and return True. The sweeper enqueues it
    again after ``stuck_after``; it is signed once the key is fit again."""
    from pipeline.tasks import worker_identity  # the stage module imports this one

    reason = signing_blocked(rt)
    if reason is None:
        return False
    code = reason.split(":", 1)[0]
    code = _REASON_CODES.get(code, code)
    log.warning("document %s waits for the signing key: %s", document_id, reason)
    with rt.db.session() as session:
        record_event(
            session,
            actor=SYSTEM,
            action="signing.held",
            document_id=document_id,
            details={"reason_code": code, "message": reason},
        )
        release_document(session, document_id, owner=worker_identity())
    return True


def copy_stamp(rt: Runtime) -> CopyStamp | None:
    """The visible stamp to draw, from ``SOHOA_STAMP`` (none by default)."""
    return copy_stamp_from_env(rt.settings.agency_name)


def sign_document(rt: Runtime, document_id: str, source: Path, signed: Path) -> dict[str, Any]:
    """Sign ``source`` into ``signed``: the catalogue fields and event details as one dict.

    Signatures the input already carries are verified and recorded first. A certification that
    forbids changes leaves the bytes as they are (``unsigned_reason``)."""
    from signing.pades import sign_pdf

    with rt.db.session() as session:
        kept = get_document(session, document_id).kept_signature
    existing = record_existing_signatures(rt, document_id, source) if kept else []
    request = SignRequest(
        input_path=source,
        output_path=signed,
        level=rt.settings.signing_level,
        reason=rt.settings.signing_reason,
        location=rt.settings.signing_location,
    )
    extra: dict[str, Any] = {"existing_signatures": len(existing)} if kept else {}
    try:
        info = sign_pdf(request, rt.signer(), timestamper=rt.settings.tsa_url, stamp=copy_stamp(rt))
    except SigningError as exc:
        if exc.code != "changes_forbidden":
            raise
        shutil.copyfile(source, signed)
        return {"signed_at": utcnow().isoformat(), "unsigned_reason": exc.code, **extra}
    outcome = {
        "signer_subject": info.signer_subject,
        "signer_fingerprint": info.certificate_sha256,
        "signature_level": info.level,
        "signed_at": info.signed_at.isoformat(),
        **extra,
    }
    if info.stamp_text is not None:
        outcome["stamp"] = info.stamp_text
    return outcome


def record_existing_signatures(rt: Runtime, document_id: str, pdf_path: Path) -> list[dict[str, Any]]:
    """Verify the signatures ``pdf_path`` carries (against the configured roots, offline) and store one
    row each, replacing earlier rows of the document; returns the reports as dicts."""
    report = verify_pdf(pdf_path, trust_roots=trust_roots(rt.settings))
    rows = [
        ExistingSignatureRecord(
            document_id=document_id,
            position=i,
            field_name=s.field_name[:255],
            signer_subject=s.signer_subject[:512] if s.signer_subject else None,
            certificate_sha256=s.certificate_sha256,
            signing_time=s.signing_time,
            intact=s.intact,
            trusted=s.trusted,
            revocation=s.revocation,
            modification=s.modification,
            certification=s.certification,
            valid=s.valid,
            problems=list(s.problems),
            recorded_at=utcnow(),
        )
        for i, s in enumerate(report.signatures)
    ]
    with rt.db.session() as session:
        session.execute(delete(ExistingSignatureRecord).where(ExistingSignatureRecord.document_id == document_id))
        session.add_all(rows)
        record_event(
            session,
            actor=SYSTEM,
            action="signatures.found",
            document_id=document_id,
            details={
                "count": len(rows),
                "intact": sum(r.intact for r in rows),
                "trusted": sum(r.trusted for r in rows),
            },
        )
    return [s.to_dict() for s in report.signatures]


def current_archive_key(rt: Runtime, doc: DocumentRecord) -> str:
    """The newest archived copy: the last renewal's, else the document's own archive key."""
    if doc.archive_key is None:
        raise NotFound(
            "this document has no archived copy yet", code="file_not_available", details={"state": doc.state}
        )
    with rt.db.session() as session:
        renewed = session.scalar(
            select(ArchiveRenewalRecord.archive_key)
            .where(ArchiveRenewalRecord.document_id == doc.id)
            .order_by(ArchiveRenewalRecord.generation.desc())
            .limit(1)
        )
    return renewed or doc.archive_key


@contextmanager
def _fetched(rt: Runtime, key: str) -> Iterator[tuple[Path, str]]:
    """The stored object in a private temporary file (checked against its sha256), and that sha256."""
    rt.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=rt.settings.work_dir, prefix="verify-") as tmp:
        path = Path(tmp) / "copy.pdf"
        info = rt.store.get_file(key, path, verify=True)
        yield path, info.sha256


def verify_archived(rt: Runtime, document_id: str, *, actor: str = SYSTEM) -> dict[str, Any]:
    """Verify the newest archived copy of the document, store the result, return it (JSON-able):
    ``sohoa verify --json``'s report with ``path`` = the archive key, plus where and when."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
    key = current_archive_key(rt, doc)
    with _fetched(rt, key) as (path, sha256):
        report = verify_pdf(path, trust_roots=trust_roots(rt.settings))
    data = report.to_dict()
    data["path"] = key
    now = utcnow()
    with rt.db.session() as session:
        session.add(
            SignatureCheckRecord(
                document_id=document_id,
                archive_key=key,
                archive_sha256=sha256,
                checked_at=now,
                checked_by=actor,
                valid=report.valid,
                summary=report.summary[:128],
                report=data,
            )
        )
    return _check_answer(document_id, key, sha256, now, actor, data)


def latest_verification(rt: Runtime, document_id: str) -> dict[str, Any] | None:
    """The last stored verification of the document's newest archived copy, or None."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        key = current_archive_key(rt, doc)
        row = session.scalars(
            select(SignatureCheckRecord)
            .where(SignatureCheckRecord.document_id == document_id, SignatureCheckRecord.archive_key == key)
            .order_by(SignatureCheckRecord.checked_at.desc(), SignatureCheckRecord.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return _check_answer(document_id, key, row.archive_sha256, row.checked_at, row.checked_by, row.report)


def _check_answer(
    document_id: str, key: str, sha256: str, at: dt.datetime, by: str, report: dict[str, Any]
) -> dict[str, Any]:
    return {
        **report,
        "document_id": document_id,
        "archive_key": key,
        "archive_sha256": sha256,
        "checked_at": at.isoformat(),
        "checked_by": by,
    }


def renew_archive_timestamps(rt: Runtime, before: dt.datetime, *, actor: str = SYSTEM) -> list[dict[str, Any]]:
    """Add a fresh document timestamp to every archived B-LTA document whose last timestamp's
    certificate expires before ``before``. The renewed copy is stored under a new key
    ``{document_id}.r{n}.pdf`` beside the first and linked in ``archive_renewals``; nothing is
    overwritten. One answer per document looked at: ``renewed``, ``current`` or ``failed``."""
    from pyhanko_certvalidator import ValidationContext

    from signing.renewal import renew_archive_timestamp, timestamp_expiry

    if not rt.settings.tsa_url:
        raise SigningError(
            "renewing timestamps needs a timestamp authority (SOHOA_TSA_URL)", code="timestamper_required"
        )
    roots = trust_roots(rt.settings)
    with rt.db.session() as session:
        docs = list(
            session.scalars(
                select(DocumentRecord)
                .where(DocumentRecord.state == DocumentState.ARCHIVED.value)
                .where(DocumentRecord.signature_level == "B-LTA")
                .order_by(DocumentRecord.archived_at)
            )
        )
    results = []
    for doc in docs:
        key = current_archive_key(rt, doc)
        answer: dict[str, Any] = {"document_id": doc.id, "previous_key": key}
        try:
            with _fetched(rt, key) as (path, _):
                expiry = timestamp_expiry(path)
                answer["expires"] = expiry.isoformat() if expiry else None
                if expiry is not None and expiry >= before:
                    results.append({**answer, "status": "current"})
                    continue
                renewed = path.with_name("renewed.pdf")
                context = ValidationContext(trust_roots=roots, allow_fetching=True)
                info = renew_archive_timestamp(
                    path, renewed, timestamper=rt.settings.tsa_url, validation_context=context
                )
                results.append({**answer, **_store_renewal(rt, doc, key, renewed, info, actor)})
        except SohoaError as exc:
            log.warning("timestamp renewal of %s failed: %s", doc.id, exc)
            results.append({**answer, "status": "failed", "code": exc.code, "message": exc.message})
    return results


def _store_renewal(
    rt: Runtime, doc: DocumentRecord, previous: str, renewed: Path, info: Any, actor: str
) -> dict[str, Any]:
    assert doc.archive_key is not None
    with rt.db.session() as session:
        last = session.scalar(
            select(ArchiveRenewalRecord.generation)
            .where(ArchiveRenewalRecord.document_id == doc.id)
            .order_by(ArchiveRenewalRecord.generation.desc())
            .limit(1)
        )
    generation = (last or 0) + 1
    key = f"{doc.archive_key.removesuffix('.pdf')}.r{generation}.pdf"
    metadata = {"document_id": doc.id, "renewal_of": previous, "generation": str(generation)}
    # the store refuses to overwrite a key: a renewal is always a new object
    stored = rt.store.put_file(key, renewed, content_type="application/pdf", metadata=metadata)
    rt.store.stat(key)
    with rt.db.session() as session:
        session.add(
            ArchiveRenewalRecord(
                document_id=doc.id,
                generation=generation,
                archive_key=key,
                previous_key=previous,
                sha256=stored.sha256,
                previous_expiry=info.previous_expiry,
                expires_at=info.expires_at,
                renewed_at=utcnow(),
                renewed_by=actor,
            )
        )
        record_event(
            session,
            actor=actor,
            action="archive.renewed",
            document_id=doc.id,
            details={"archive_key": key, "previous_key": previous, "sha256": stored.sha256},
        )
    return {
        "status": "renewed",
        "archive_key": key,
        "generation": generation,
        "sha256": stored.sha256,
        "expires_at": info.expires_at.isoformat(),
    }

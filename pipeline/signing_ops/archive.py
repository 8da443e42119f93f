"""Archived copies: verifying the newest one and renewing the timestamps of B-LTA documents, each
renewal stored as a new object beside the first."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyhanko_certvalidator import ValidationContext

from sohoa.core.clock import utcnow
from sohoa.core.errors import InputRejected, NotFound, ObjectNotFound, SigningError, SohoaError
from sohoa.pipeline.retention import hold_like_filing, locking_store, renewal_key
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops.stage import SYSTEM
from sohoa.signing.renewal import RenewalInfo, renew_archive_timestamp, timestamp_expiry
from sohoa.signing.trust import trust_roots
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document, record_event
from sohoa.storage.objectstore import ObjectInfo
from sohoa.storage.records import DocumentRecord
from sohoa.storage.signing_queries import (
    add_renewal,
    add_signature_check,
    archived_at_level,
    latest_renewal,
    latest_signature_check,
)
from sohoa.storage.signing_records import ArchiveRenewalRecord, SignatureCheckRecord

log = logging.getLogger(__name__)


def current_archive_key(rt: Runtime, doc: DocumentRecord) -> str:
    """The newest archived copy: the last renewal's, else the document's own archive key."""
    return _newest_copy(rt, doc)[0]


def _newest_copy(rt: Runtime, doc: DocumentRecord) -> tuple[str, int]:
    """The newest archived copy's key and its generation (0: the first copy, never renewed)."""
    if doc.archive_key is None:
        raise NotFound(
            "this document has no archived copy yet", code="file_not_available", details={"state": doc.state}
        )
    with rt.db.session() as session:
        renewed = latest_renewal(session, doc.id)
    if renewed is None:
        return doc.archive_key, 0
    return renewed.archive_key, renewed.generation


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
        add_signature_check(
            session,
            SignatureCheckRecord(
                document_id=document_id,
                archive_key=key,
                archive_sha256=sha256,
                checked_at=now,
                checked_by=actor,
                valid=report.valid,
                summary=report.summary[:128],
                report=data,
            ),
        )
    return _check_answer(document_id, key, sha256, now, actor, data)


def latest_verification(rt: Runtime, document_id: str) -> dict[str, Any] | None:
    """The last stored verification of the document's newest archived copy, or None."""
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        key = current_archive_key(rt, doc)
        row = latest_signature_check(session, document_id, key)
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
    ``{document_id}.r{n}.pdf`` (the first n free) beside the first and linked in ``archive_renewals``;
    nothing is overwritten. One answer per document looked at: ``renewed``, ``current`` or ``failed``."""
    if not rt.settings.tsa_url:
        raise SigningError(
            "renewing timestamps needs a timestamp authority (SOHOA_TSA_URL)", code="timestamper_required"
        )
    roots = trust_roots(rt.settings)
    with rt.db.session() as session:
        docs = archived_at_level(session, "B-LTA")
    results = []
    for doc in docs:
        # The copy renewed and the generation after it, from one reading: a renewal records its predecessor.
        key, generation = _newest_copy(rt, doc)
        answer: dict[str, Any] = {"document_id": doc.id, "previous_key": key}
        try:
            key, generation, free = _adopt_stored(rt, doc, key, generation, actor)
            answer["previous_key"] = key
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
                results.append({**answer, **_store_renewal(rt, doc, key, generation + 1, free, renewed, info, actor)})
        except SohoaError as exc:
            log.warning("timestamp renewal of %s failed: %s", doc.id, exc)
            results.append({**answer, "status": "failed", "code": exc.code, "message": exc.message})
    return results


def _adopt_stored(rt: Runtime, doc: DocumentRecord, key: str, generation: int, actor: str) -> tuple[str, int, str]:
    """The copy to renew, its generation, and the first free key for the next copy.

    A renewal stores its copy before the catalogue records it, so a renewal stopped in between
    (a crash, a failed commit) leaves a copy under the key the next run would take, which the store
    never overwrites. A copy there renewing ``key`` as the next generation is that renewal's: it is
    recorded now, as a rebuild records it, and renewed on from; a copy renewing anything else is
    passed over, its key taken. So nothing a crash leaves blocks the next run."""
    assert doc.archive_key is not None
    number = generation + 1
    while True:
        candidate = renewal_key(doc.archive_key, number)
        try:
            stored = rt.store.stat(candidate)
        except ObjectNotFound:
            return key, generation, candidate
        if stored.metadata.get("renewal_of") == key and stored.metadata.get("generation") == str(generation + 1):
            log.warning("recording %s, stored by a renewal of %s that did not finish", candidate, doc.id)
            link_stored_renewal(rt, stored, generation + 1, key, None, actor=actor)
            hold_like_filing(rt.store, doc.archive_key, [candidate])  # the hold it may have missed
            key, generation = candidate, generation + 1
        number += 1


def _stored_expiry(rt: Runtime, key: str) -> dt.datetime | None:
    with _fetched(rt, key) as (path, _):
        return timestamp_expiry(path)


def link_stored_renewal(
    rt: Runtime,
    copy: ObjectInfo,
    generation: int,
    previous: str,
    previous_expiry: dt.datetime | None,
    *,
    actor: str,
    **details: str,
) -> ArchiveRenewalRecord:
    """Record the renewal that stored ``copy`` over the copy ``previous`` from the archive alone
    (a rebuild, or a renewal that stopped before recording it), and return it.

    Its expiries are read from both copies as the renewal read them (``previous_expiry`` when
    already known). Not in the archive: when the renewal ran (the store's write of the copy, moments
    after, stands in) and who ran it (``actor`` stands in). ``details`` go into its event."""
    previous_expiry = previous_expiry or _stored_expiry(rt, previous)
    expires_at = _stored_expiry(rt, copy.key)
    if previous_expiry is None or expires_at is None:
        raise InputRejected(f"{previous} or {copy.key} carries no document timestamp", code="not_lta")
    renewal = ArchiveRenewalRecord(
        document_id=copy.metadata["document_id"],
        generation=generation,
        archive_key=copy.key,
        previous_key=previous,
        sha256=copy.sha256,
        previous_expiry=previous_expiry,
        expires_at=expires_at,
        renewed_at=locking_store(rt.store).lock_status(copy.key).stored_at or utcnow(),
        renewed_by=actor,
    )
    _record_renewal(rt, renewal, **details)
    return renewal


def _record_renewal(rt: Runtime, renewal: ArchiveRenewalRecord, **details: str) -> None:
    with rt.db.session() as session:
        add_renewal(session, renewal)
        record_event(
            session,
            actor=renewal.renewed_by,
            action="archive.renewed",
            document_id=renewal.document_id,
            details={
                "archive_key": renewal.archive_key,
                "previous_key": renewal.previous_key,
                "sha256": renewal.sha256,
                **details,
            },
        )


def _store_renewal(
    rt: Runtime,
    doc: DocumentRecord,
    previous: str,
    generation: int,
    key: str,
    renewed: Path,
    info: RenewalInfo,
    actor: str,
) -> dict[str, Any]:
    metadata = {"document_id": doc.id, "renewal_of": previous, "generation": str(generation)}
    # the store refuses to overwrite a key: a renewal is always a new object
    stored = rt.store.put_file(key, renewed, content_type="application/pdf", metadata=metadata)
    rt.store.stat(key)
    assert doc.archive_key is not None  # archived at B-LTA: renewed from its first copy
    hold_like_filing(rt.store, doc.archive_key, [key])  # a held document's new copy is held too
    _record_renewal(
        rt,
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
        ),
    )
    return {
        "status": "renewed",
        "archive_key": key,
        "generation": generation,
        "sha256": stored.sha256,
        "expires_at": info.expires_at.isoformat(),
    }

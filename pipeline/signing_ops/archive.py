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
from sohoa.core.errors import NotFound, SigningError, SohoaError
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops.stage import SYSTEM
from sohoa.signing.renewal import RenewalInfo, renew_archive_timestamp, timestamp_expiry
from sohoa.signing.trust import trust_roots
from sohoa.signing.verify import verify_pdf
from sohoa.storage.catalogue import get_document, record_event
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
    ``{document_id}.r{n}.pdf`` beside the first and linked in ``archive_renewals``; nothing is
    overwritten. One answer per document looked at: ``renewed``, ``current`` or ``failed``."""
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
                results.append({**answer, **_store_renewal(rt, doc, key, generation + 1, renewed, info, actor)})
        except SohoaError as exc:
            log.warning("timestamp renewal of %s failed: %s", doc.id, exc)
            results.append({**answer, "status": "failed", "code": exc.code, "message": exc.message})
    return results


def _store_renewal(
    rt: Runtime, doc: DocumentRecord, previous: str, generation: int, renewed: Path, info: RenewalInfo, actor: str
) -> dict[str, Any]:
    assert doc.archive_key is not None
    key = f"{doc.archive_key.removesuffix('.pdf')}.r{generation}.pdf"
    metadata = {"document_id": doc.id, "renewal_of": previous, "generation": str(generation)}
    # the store refuses to overwrite a key: a renewal is always a new object
    stored = rt.store.put_file(key, renewed, content_type="application/pdf", metadata=metadata)
    rt.store.stat(key)
    with rt.db.session() as session:
        add_renewal(
            session,
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

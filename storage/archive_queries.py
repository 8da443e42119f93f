"""Reading and writing the archive tables: fixity runs, retention dates, legal holds, supersessions.

The lineage reads that search shares (``superseded_ids``, ``active_hold`` ...) stay in
``archive_records``; the object store, not this module, is the authority on what is locked.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.archive_records import FixityRunRecord, LegalHoldRecord, RetentionRecord, SupersessionRecord
from sohoa.storage.chunks import chunked
from sohoa.storage.records import DocumentRecord

__all__ = [
    "add_fixity_run",
    "add_legal_hold",
    "add_supersession",
    "archived_objects",
    "correction_entries",
    "corrections_listed",
    "end_legal_hold",
    "get_supersession",
    "last_fixity_run",
    "save_retention",
]


def archived_objects(
    session: Session, *, since: datetime | None = None, sample: int | None = None
) -> list[tuple[str, str, str | None]]:
    """``(document_id, archive_key, archive_sha256)`` of archived documents (archived ``since``).

    All of them in archiving order, or a random ``sample`` of them.
    """
    stmt = select(DocumentRecord.id, DocumentRecord.archive_key, DocumentRecord.archive_sha256).where(
        DocumentRecord.state == DocumentState.ARCHIVED.value, DocumentRecord.archive_key.is_not(None)
    )
    if since is not None:
        stmt = stmt.where(DocumentRecord.archived_at >= since)
    if sample is not None:
        stmt = stmt.order_by(func.random()).limit(sample)
    else:
        stmt = stmt.order_by(DocumentRecord.archived_at, DocumentRecord.id)
    return [(doc_id, str(key), sha) for doc_id, key, sha in session.execute(stmt)]


def corrections_listed(session: Session, document_ids: Collection[str]) -> dict[str, list[dict[str, Any]]]:
    """The corrections the catalogue lists (``archive_corrections``) of each of ``document_ids`` that has any."""
    found: dict[str, list[dict[str, Any]]] = {}
    for chunk in chunked(document_ids):
        rows = session.execute(
            select(DocumentRecord.id, DocumentRecord.archive_corrections).where(DocumentRecord.id.in_(chunk))
        )
        for document_id, listed in rows:
            if entries := correction_entries(listed):
                found[document_id] = entries
    return found


def correction_entries(listed: Any) -> list[dict[str, Any]]:
    """The entries of a document's ``archive_corrections`` (None may be stored as SQL NULL or as JSON
    null); an entry without a key is none."""
    return [entry for entry in listed or () if isinstance(entry, dict) and entry.get("key")]


def add_fixity_run(session: Session, run: FixityRunRecord) -> FixityRunRecord:
    """Store one finished run; flushed, so its id can be named in the events of its problems."""
    session.add(run)
    session.flush()
    return run


def last_fixity_run(session: Session) -> FixityRunRecord | None:
    """The latest finished fixity run, or None when none has finished."""
    return session.scalars(
        select(FixityRunRecord)
        .where(FixityRunRecord.finished_at.is_not(None))
        .order_by(FixityRunRecord.started_at.desc(), FixityRunRecord.id.desc())
        .limit(1)
    ).first()


def save_retention(
    session: Session,
    document_id: str,
    archive_key: str,
    *,
    mode: str | None,
    retain_until: datetime | None,
    recorded_at: datetime,
) -> RetentionRecord:
    """Record the retention the store reported for a document's archived object; safe to repeat."""
    row = session.get(RetentionRecord, document_id)
    if row is None:
        row = RetentionRecord(document_id=document_id, archive_key=archive_key)
        session.add(row)
    row.archive_key = archive_key
    row.mode = mode
    row.retain_until = retain_until
    row.recorded_at = recorded_at
    session.flush()
    return row


def add_legal_hold(
    session: Session, document_id: str, archive_key: str, *, reason: str, placed_by: str, placed_at: datetime
) -> LegalHoldRecord:
    hold = LegalHoldRecord(
        document_id=document_id, archive_key=archive_key, reason=reason, placed_by=placed_by, placed_at=placed_at
    )
    session.add(hold)
    return hold


def end_legal_hold(
    session: Session, hold: LegalHoldRecord, *, released_by: str, released_at: datetime, reason: str
) -> None:
    """Mark ``hold`` released; its row stays, so who placed and lifted it remains on record."""
    hold.released_by = released_by
    hold.released_at = released_at
    hold.release_reason = reason
    session.flush()


def get_supersession(session: Session, new_document_id: str) -> SupersessionRecord | None:
    """The link by which ``new_document_id`` replaces another document, if it does."""
    return session.get(SupersessionRecord, new_document_id)


def add_supersession(session: Session, link: SupersessionRecord) -> SupersessionRecord:
    """File ``link`` (a correction, or one read back from the archive's lineage files).

    A bare ``add``, kept so that the pipeline writes no row itself: every write goes through storage."""
    session.add(link)
    return link

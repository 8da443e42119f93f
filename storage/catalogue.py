"""Catalogue operations over a SQLAlchemy session: documents, batches, states and the audit log.

Every state change goes through ``transition``: a compare-and-set on the current state
plus one event, in the caller's transaction. Two workers racing on one document cannot
both win, and running a stage twice is harmless.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypedDict, Unpack

from sqlalchemy import Insert, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound
from sohoa.storage.database import lock_for_update
from sohoa.storage.records import BatchRecord, DocumentRecord, EventRecord, OriginalRecord, PageRecord

__all__ = [
    "Claim",
    "DocumentFilter",
    "EventFields",
    "add_document",
    "claim_document",
    "claim_original",
    "create_batch",
    "document_exists",
    "failed_documents",
    "failure_origin",
    "get_batch",
    "get_document",
    "leased_documents",
    "list_documents",
    "list_events",
    "list_pages",
    "original_holder",
    "page_texts",
    "record_event",
    "release_document",
    "replace_pages",
    "stuck_documents",
    "transition",
]


class EventFields(TypedDict, total=False):
    """What an event may say besides who did what; each unsaid one is left empty."""

    document_id: str | None
    batch_id: str | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any] | None


def record_event(session: Session, *, actor: str, action: str, **fields: Unpack[EventFields]) -> EventRecord:
    event = EventRecord(at=utcnow(), actor=actor, action=action, **fields)
    event.details = event.details or None  # an empty map is stored as no map: one way to say "nothing"
    session.add(event)
    return event


def create_batch(
    session: Session,
    *,
    batch_id: str,
    actor: str,
    procedure_code: str | None,
    dossier_code: str | None,
    source: str,
) -> BatchRecord:
    # The event says what the row files: one map for both, so they cannot disagree.
    filed: dict[str, Any] = {"procedure_code": procedure_code, "dossier_code": dossier_code, "source": source}
    batch = BatchRecord(id=batch_id, created_by=actor, created_at=utcnow(), **filed)
    session.add(batch)
    record_event(session, actor=actor, action="batch.created", batch_id=batch_id, details=filed)
    session.flush()
    return batch


def get_batch(session: Session, batch_id: str) -> BatchRecord:
    batch = session.get(BatchRecord, batch_id)
    if batch is None:
        raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
    return batch


def original_holder(session: Session, sha256: str) -> str | None:
    """The document that holds this original, if one does (a claim without its document is nobody's)."""
    holder = session.scalar(select(OriginalRecord.document_id).where(OriginalRecord.sha256 == sha256))
    if holder is None or session.get(DocumentRecord, holder) is None:
        return None
    return holder


def claim_original(session: Session, sha256: str, document_id: str) -> str | None:
    """Register ``sha256`` as the original of ``document_id``, in the caller's transaction.

    Returns None when claimed, or the id of the document that already holds this original.
    The primary key makes two concurrent uploads of one file agree on a single document.

    No savepoint: pysqlite's ``RELEASE SAVEPOINT`` outside an explicit transaction commits,
    which made the claim outlive a document row that was then never written. An
    ``INSERT ... ON CONFLICT DO NOTHING`` needs none, so the claim commits with the document
    or not at all. A claim whose document does not exist (left by an older release, or by
    hand) is taken over instead of answering with a document nobody can find.
    """
    now = utcnow()
    inserted = session.execute(
        _insert_ignoring_conflict(session, sha256, document_id, now).execution_options(synchronize_session=False)
    )
    if inserted.rowcount == 1:  # type: ignore[attr-defined]
        return None
    holder = session.scalar(select(OriginalRecord.document_id).where(OriginalRecord.sha256 == sha256))
    assert holder is not None  # a conflicting row is never deleted
    if session.get(DocumentRecord, holder) is not None:
        return holder
    # An orphan claim: take it over with a compare-and-set, so two uploads racing for it agree.
    taken = session.execute(
        update(OriginalRecord)
        .where(OriginalRecord.sha256 == sha256, OriginalRecord.document_id == holder)
        .values(document_id=document_id, created_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return None
    winner = session.scalar(select(OriginalRecord.document_id).where(OriginalRecord.sha256 == sha256))
    assert winner is not None
    return winner


def _insert_ignoring_conflict(session: Session, sha256: str, document_id: str, now: datetime) -> Insert:
    values = {"sha256": sha256, "document_id": document_id, "created_at": now}
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(OriginalRecord).values(**values).on_conflict_do_nothing(index_elements=["sha256"])
    return sqlite_insert(OriginalRecord).values(**values).on_conflict_do_nothing(index_elements=["sha256"])


def add_document(session: Session, doc: DocumentRecord) -> DocumentRecord:
    """Catalogue a new document; flushed, so its row exists before the events and pages that name it."""
    session.add(doc)
    session.flush()
    return doc


def document_exists(session: Session, document_id: str) -> bool:
    return session.get(DocumentRecord, document_id) is not None


def get_document(session: Session, document_id: str, *, for_update: bool = False) -> DocumentRecord:
    stmt = select(DocumentRecord).where(DocumentRecord.id == document_id)
    if for_update:
        lock_for_update(session)
        # populate_existing: a copy this session read before the lock must not stand for the row
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    doc = session.scalars(stmt).one_or_none()
    if doc is None:
        raise NotFound(f"document {document_id} not found", code="document_not_found")
    return doc


def transition(
    session: Session,
    document_id: str,
    *,
    expected: Collection[DocumentState],
    to: DocumentState,
    actor: str,
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> bool:
    """Move a document to ``to`` if it is in one of ``expected``; record one event.

    Returns False (and changes nothing) when the document was not in an expected state,
    which is how a repeated or concurrent stage becomes a no-op.
    """
    current = session.scalar(select(DocumentRecord.state).where(DocumentRecord.id == document_id))
    if current is None:
        raise NotFound(f"document {document_id} not found", code="document_not_found")
    values = dict(fields)
    values["state"] = to.value
    values["updated_at"] = utcnow()
    values["lease_owner"] = None  # a state change ends the stage that held the document
    values["lease_expires"] = None
    result = session.execute(
        update(DocumentRecord)
        .where(DocumentRecord.id == document_id)
        .where(DocumentRecord.state.in_([s.value for s in expected]))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    event_details = dict(details or {})
    if fields.get("reason_code"):
        event_details.setdefault("reason_code", fields["reason_code"])
    record_event(
        session,
        actor=actor,
        action="document.state",
        document_id=document_id,
        from_state=current,
        to_state=to.value,
        details=event_details,
    )
    # Keep any loaded instance in step with the row we just wrote.
    loaded = session.get(DocumentRecord, document_id, populate_existing=True)
    assert loaded is not None
    return True


class Claim(StrEnum):
    CLAIMED = "claimed"  # this worker may run the stage now
    STALE = "stale"  # the document is no longer in the stage's input state: nothing to do
    BUSY = "busy"  # another worker holds a live lease on it


def claim_document(
    session: Session, document_id: str, *, expected: Collection[DocumentState], owner: str, seconds: int
) -> Claim:
    """Take the document for one stage with a compare-and-set lease, so two workers never run it at once."""
    now = utcnow()
    result = session.execute(
        update(DocumentRecord)
        .where(DocumentRecord.id == document_id)
        .where(DocumentRecord.state.in_([s.value for s in expected]))
        .where(
            or_(
                DocumentRecord.lease_expires.is_(None),
                DocumentRecord.lease_expires < now,
                DocumentRecord.lease_owner == owner,
            )
        )
        .values(lease_owner=owner, lease_expires=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:  # type: ignore[attr-defined]
        return Claim.CLAIMED
    state = session.scalar(select(DocumentRecord.state).where(DocumentRecord.id == document_id))
    if state is None:
        raise NotFound(f"document {document_id} not found", code="document_not_found")
    return Claim.BUSY if DocumentState(state) in expected else Claim.STALE


def release_document(session: Session, document_id: str, *, owner: str) -> bool:
    """End ``owner``'s lease early; False (and nothing changed) when ``owner`` does not hold it."""
    result = session.execute(
        update(DocumentRecord)
        .where(DocumentRecord.id == document_id, DocumentRecord.lease_owner == owner)
        .values(lease_owner=None, lease_expires=None)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def stuck_documents(
    session: Session, states: Collection[DocumentState], *, unchanged_for: timedelta, limit: int
) -> list[tuple[str, str]]:
    """``(id, state)`` of documents in ``states`` no live lease holds, oldest first: those unchanged
    for ``unchanged_for``, and those whose lease expired (its holder is gone: no need to wait more)."""
    now = utcnow()
    rows = session.execute(
        select(DocumentRecord.id, DocumentRecord.state)
        .where(DocumentRecord.state.in_([s.value for s in states]))
        .where(
            or_(
                DocumentRecord.lease_expires < now,
                (DocumentRecord.lease_expires.is_(None)) & (DocumentRecord.updated_at < now - unchanged_for),
            )
        )
        .order_by(DocumentRecord.updated_at)
        .limit(limit)
    )
    return [(doc_id, state) for doc_id, state in rows]


def leased_documents(session: Session, states: Collection[DocumentState], *, limit: int) -> list[tuple[str, str, str]]:
    """``(id, state, lease_owner)`` of documents in ``states`` held by a lease that has not expired."""
    rows = session.execute(
        select(DocumentRecord.id, DocumentRecord.state, DocumentRecord.lease_owner)
        .where(DocumentRecord.state.in_([s.value for s in states]))
        .where(DocumentRecord.lease_owner.is_not(None), DocumentRecord.lease_expires >= utcnow())
        .order_by(DocumentRecord.updated_at)
        .limit(limit)
    )
    return [(doc_id, state, owner) for doc_id, state, owner in rows]


def failed_documents(session: Session, reason_codes: Collection[str], *, limit: int) -> list[tuple[str, str]]:
    """``(id, state it failed from)`` of failed documents with one of ``reason_codes``, oldest first."""
    ids = session.scalars(
        select(DocumentRecord.id)
        .where(DocumentRecord.state == DocumentState.FAILED.value, DocumentRecord.reason_code.in_(list(reason_codes)))
        .order_by(DocumentRecord.updated_at)
        .limit(limit)
    ).all()
    found: list[tuple[str, str]] = []
    for doc_id in ids:
        before = session.scalar(
            select(EventRecord.from_state)
            .where(EventRecord.document_id == doc_id, EventRecord.to_state == DocumentState.FAILED.value)
            .order_by(EventRecord.id.desc())
            .limit(1)
        )
        if before:
            found.append((doc_id, before))
    return found


def failure_origin(session: Session, document_id: str) -> tuple[str | None, str | None]:
    """``(state it failed from, stage task)`` of the document's latest failure, from its events."""
    row = session.execute(
        select(EventRecord.from_state, EventRecord.details)
        .where(EventRecord.document_id == document_id, EventRecord.to_state == DocumentState.FAILED.value)
        .order_by(EventRecord.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    task = (row.details or {}).get("task")
    return row.from_state, task if isinstance(task, str) else None


def list_pages(session: Session, document_id: str) -> list[PageRecord]:
    """A document's pages in order."""
    stmt = select(PageRecord).where(PageRecord.document_id == document_id).order_by(PageRecord.page_index)
    return list(session.scalars(stmt))


def page_texts(session: Session, document_id: str) -> list[str]:
    """The text of a document's pages in order, without loading the pages."""
    stmt = select(PageRecord.text).where(PageRecord.document_id == document_id).order_by(PageRecord.page_index)
    return list(session.scalars(stmt))


def replace_pages(session: Session, document_id: str, pages: Sequence[PageRecord]) -> None:
    for old in session.scalars(select(PageRecord).where(PageRecord.document_id == document_id)):
        session.delete(old)
    session.flush()
    session.add_all(pages)


@dataclass(frozen=True)
class DocumentFilter:
    procedure_code: str | None = None  # exact, or prefix by whole segments
    dossier_code: str | None = None
    state: DocumentState | None = None
    batch_id: str | None = None
    states: tuple[DocumentState, ...] = ()  # any of these (with ``state``, both must hold)


def list_documents(
    session: Session, flt: DocumentFilter, *, limit: int = 50, offset: int = 0
) -> tuple[list[DocumentRecord], int]:
    stmt = select(DocumentRecord)
    if flt.procedure_code:
        code = flt.procedure_code.strip()
        stmt = stmt.where(
            or_(
                DocumentRecord.procedure_code == code,
                DocumentRecord.procedure_code.startswith(code + ".", autoescape=True),
            )
        )
    if flt.dossier_code:
        stmt = stmt.where(DocumentRecord.dossier_code == flt.dossier_code.strip())
    if flt.state is not None:
        stmt = stmt.where(DocumentRecord.state == flt.state.value)
    if flt.batch_id:
        stmt = stmt.where(DocumentRecord.batch_id == flt.batch_id)
    if flt.states:
        stmt = stmt.where(DocumentRecord.state.in_([s.value for s in flt.states]))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(DocumentRecord.received_at.desc(), DocumentRecord.id).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


def list_events(
    session: Session,
    *,
    document_id: str | None = None,
    batch_id: str | None = None,
    after_id: int = 0,
    limit: int = 500,
) -> list[EventRecord]:
    stmt = select(EventRecord).where(EventRecord.id > after_id)
    if document_id:
        stmt = stmt.where(EventRecord.document_id == document_id)
    if batch_id:
        stmt = stmt.where(EventRecord.batch_id == batch_id)
    return list(session.scalars(stmt.order_by(EventRecord.id).limit(limit)).all())

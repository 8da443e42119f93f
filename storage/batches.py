"""Upload batches: listed newest first with their documents' states, and followed event by event."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sohoa.storage.records import BatchRecord, DocumentRecord, EventRecord

__all__ = ["batch_events", "batch_states", "list_batches"]


def list_batches(
    session: Session, *, created_by: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[BatchRecord, dict[str, int]]], int]:
    """One page of batches (of one user when ``created_by`` is given), each with its counts by state."""
    stmt = select(BatchRecord)
    if created_by is not None:
        stmt = stmt.where(BatchRecord.created_by == created_by)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    batches = list(
        session.scalars(stmt.order_by(BatchRecord.created_at.desc(), BatchRecord.id).limit(limit).offset(offset))
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    if batches:
        rows = session.execute(
            select(DocumentRecord.batch_id, DocumentRecord.state, func.count())
            .where(DocumentRecord.batch_id.in_([b.id for b in batches]))
            .group_by(DocumentRecord.batch_id, DocumentRecord.state)
        )
        for batch_id, state, count in rows:
            counts[str(batch_id)][str(state)] = int(count)
    return [(b, dict(counts[b.id])) for b in batches], int(total)


def batch_states(session: Session, batch_id: str) -> list[str]:
    """The state of each document of the batch (in no particular order)."""
    return list(session.scalars(select(DocumentRecord.state).where(DocumentRecord.batch_id == batch_id)))


def batch_events(session: Session, batch_id: str, *, after_id: int, limit: int) -> list[EventRecord]:
    """Events after ``after_id`` of the batch itself or of any of its documents, in order.

    Read after ``batch_states`` in the same session: an event is committed with its state
    change, so every event that led to the states seen is already visible here.
    """
    documents = select(DocumentRecord.id).where(DocumentRecord.batch_id == batch_id).scalar_subquery()
    stmt = (
        select(EventRecord)
        .where(EventRecord.id > after_id)
        .where(or_(EventRecord.batch_id == batch_id, EventRecord.document_id.in_(documents)))
        .order_by(EventRecord.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))

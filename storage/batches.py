"""Listing upload batches, newest first, with how many of their documents are in each state."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.storage.records import BatchRecord, DocumentRecord

__all__ = ["list_batches"]


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

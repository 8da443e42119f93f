"""The catalogue's side of quarantine: which refused documents still point at kept bytes."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.storage.records import DocumentRecord

__all__ = ["forget_quarantine", "quarantine_key_used_since", "quarantined_before"]

QUARANTINE_PREFIX = "quarantine/"


def quarantined_before(session: Session, cutoff: datetime, *, limit: int) -> list[tuple[str, str]]:
    """``(document id, quarantine key)`` of rejected documents received before ``cutoff``, oldest first."""
    rows = session.execute(
        select(DocumentRecord.id, DocumentRecord.original_key)
        .where(DocumentRecord.state == DocumentState.REJECTED.value)
        .where(DocumentRecord.original_key.startswith(QUARANTINE_PREFIX, autoescape=True))
        .where(DocumentRecord.received_at < cutoff)
        .order_by(DocumentRecord.received_at)
        .limit(limit)
    )
    return [(doc_id, key) for doc_id, key in rows]


def quarantine_key_used_since(session: Session, key: str, cutoff: datetime) -> bool:
    """True when a document received at or after ``cutoff`` points at ``key`` (the same bytes refused again)."""
    found = session.scalar(
        select(DocumentRecord.id)
        .where(DocumentRecord.original_key == key, DocumentRecord.received_at >= cutoff)
        .limit(1)
    )
    return found is not None


def forget_quarantine(session: Session, document_ids: Collection[str]) -> None:
    """The documents' quarantined bytes are gone: they no longer name a key."""
    if document_ids:
        session.execute(
            update(DocumentRecord)
            .where(DocumentRecord.id.in_(list(document_ids)))
            .values(original_key=None)
            .execution_options(synchronize_session=False)
        )

"""Counts the operator metrics read from the catalogue at every scrape (``registry.metrics`` shapes them).

Each is one aggregate query; the state events are streamed, never loaded whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sohoa.storage.records import DocumentRecord, EventRecord, PageRecord

__all__ = [
    "count_documents_by_state",
    "count_failing_documents",
    "count_failures",
    "count_ocr_pages",
    "count_refusals",
    "count_signed_documents",
    "state_changes",
]

_STATE_EVENT = "document.state"


def count_documents_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(DocumentRecord.state, func.count()).group_by(DocumentRecord.state))
    return {str(state): int(count) for state, count in rows}


def state_changes(session: Session) -> Iterator[tuple[str, str | None, str | None, datetime]]:
    """``(document_id, from_state, to_state, at)`` of every state event, by document then in order.

    Streamed in batches: consume it inside the session.
    """
    stmt = (
        select(EventRecord.document_id, EventRecord.from_state, EventRecord.to_state, EventRecord.at)
        .where(EventRecord.action == _STATE_EVENT, EventRecord.document_id.is_not(None))
        .order_by(EventRecord.document_id, EventRecord.id)
        .execution_options(yield_per=5000)
    )
    yield from ((document_id, old, new, at) for document_id, old, new, at in session.execute(stmt))


def count_ocr_pages(session: Session) -> int:
    """Pages read by OCR (text layers not counted)."""
    return session.scalar(select(func.count()).select_from(PageRecord).where(PageRecord.source == "ocr")) or 0


def count_signed_documents(session: Session) -> int:
    """Documents signed with the agency's key."""
    stmt = select(func.count()).select_from(DocumentRecord).where(DocumentRecord.signer_fingerprint.is_not(None))
    return session.scalar(stmt) or 0


def count_failures(session: Session, to_states: Collection[str]) -> list[tuple[str, str | None, int]]:
    """``(state, reason_code, count)`` of the state events into ``to_states``, ever."""
    reason = EventRecord.details["reason_code"].as_string()
    stmt = (
        select(EventRecord.to_state, reason, func.count())
        .where(EventRecord.action == _STATE_EVENT, EventRecord.to_state.in_(list(to_states)))
        .group_by(EventRecord.to_state, reason)
    )
    return [(state, code, int(count)) for state, code, count in session.execute(stmt)]


def count_refusals(session: Session) -> list[tuple[str | None, int]]:
    """``(reason_code, count)`` of files refused before they became documents (zip members, store errors)."""
    reason = EventRecord.details["reason_code"].as_string()
    stmt = select(reason, func.count()).where(EventRecord.action == "upload.rejected").group_by(reason)
    return [(code, int(count)) for code, count in session.execute(stmt)]


def count_failing_documents(session: Session, states: Collection[str]) -> list[tuple[str, str | None, int]]:
    """``(state, reason_code, count)`` of the documents now in ``states``."""
    stmt = (
        select(DocumentRecord.state, DocumentRecord.reason_code, func.count())
        .where(DocumentRecord.state.in_(list(states)))
        .group_by(DocumentRecord.state, DocumentRecord.reason_code)
    )
    return [(state, code, int(count)) for state, code, count in session.execute(stmt)]

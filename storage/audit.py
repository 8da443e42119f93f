"""Reading the audit log (the ``events`` table) by actor, document, batch, action and time; folding repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from sohoa.storage.records import EventRecord

__all__ = ["AuditFilter", "find_events", "set_event_count"]


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    document_id: str | None = None
    batch_id: str | None = None
    action: str | None = None  # exact, or a prefix when it ends with "*" ("auth.*")
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def _where(stmt: Select[EventRecord], flt: AuditFilter) -> Select[EventRecord]:
    if flt.actor:
        stmt = stmt.where(EventRecord.actor == flt.actor)
    if flt.document_id:
        stmt = stmt.where(EventRecord.document_id == flt.document_id)
    if flt.batch_id:
        stmt = stmt.where(EventRecord.batch_id == flt.batch_id)
    if flt.action:
        if flt.action.endswith("*"):
            stmt = stmt.where(EventRecord.action.startswith(flt.action[:-1], autoescape=True))
        else:
            stmt = stmt.where(EventRecord.action == flt.action)
    if flt.since is not None:
        stmt = stmt.where(EventRecord.at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(EventRecord.at < flt.until)
    return stmt


def find_events(session: Session, flt: AuditFilter, *, limit: int, offset: int) -> tuple[list[EventRecord], int]:
    """One page of matching events, newest first, and how many match in all."""
    stmt = _where(select(EventRecord), flt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(EventRecord.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total)


def set_event_count(session: Session, event_id: int, count: int, last_at: datetime) -> None:
    """Fold repeats into one event: its count and the time of the last one (nothing else changes)."""
    event = session.get(EventRecord, event_id)
    if event is None:
        return
    details = dict(event.details or {})
    details["count"] = count
    details["last_at"] = last_at.isoformat()
    event.details = details

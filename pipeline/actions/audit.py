"""The audit log: recording what people did (and were refused), and reading it back."""

from __future__ import annotations

from typing import Any

from sohoa.pipeline.runtime import Runtime
from sohoa.storage.audit import AuditFilter, find_events
from sohoa.storage.catalogue import record_event
from sohoa.storage.records import EventRecord

__all__ = ["audit_event", "audit_page"]


def audit_event(
    rt: Runtime, *, actor: str, action: str, document_id: str | None = None, details: dict[str, Any] | None = None
) -> None:
    """One event in the append-only log, in its own transaction."""
    with rt.db.session() as session:
        record_event(session, actor=actor, action=action, document_id=document_id, details=details)


def audit_page(rt: Runtime, flt: AuditFilter, *, limit: int, offset: int) -> tuple[list[EventRecord], int]:
    """Events matching ``flt``, newest first, and how many match in all."""
    with rt.db.session() as session:
        found, total = find_events(session, flt, limit=limit, offset=offset)
        return list(found), total

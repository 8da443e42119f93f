"""The audit log: who did what, when, to which document; for auditors and administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import AuditPage, EventPublic, errors
from sohoa.core.clock import VN_TZ
from sohoa.pipeline.actions.audit import audit_page
from sohoa.storage.audit import AuditFilter

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require(Right.READ_AUDIT))]


def _aware(moment: datetime | None) -> datetime | None:
    # A time without a zone is read as Vietnam's, the zone every answer is given in.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=VN_TZ)


@router.get("", response_model=AuditPage, responses=errors(401, 403, 422))
def list_events(
    rt: RuntimeDep,
    _user: Auditor,
    actor: Annotated[str | None, Query(max_length=128, description="user name, or `cli:…`, `worker`…")] = None,
    document_id: Annotated[str | None, Query(max_length=36)] = None,
    batch_id: Annotated[str | None, Query(max_length=36)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="exact (`download.signed`) or a prefix ending in `*` (`auth.*`)")
    ] = None,
    since: Annotated[datetime | None, Query(description="at or after (ISO 8601; no zone = Vietnam)")] = None,
    until: Annotated[datetime | None, Query(description="before")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> AuditPage:
    flt = AuditFilter(
        actor=actor,
        document_id=document_id,
        batch_id=batch_id,
        action=action,
        since=_aware(since),
        until=_aware(until),
    )
    found, total = audit_page(rt, flt, limit=limit, offset=offset)
    events = [EventPublic.from_record(e) for e in found]
    return AuditPage(total=total, limit=limit, offset=offset, events=events)

"""The audit log: who did what, when, to which document; for auditors and administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, Field

from sohoa.api.deps import Auditor, RuntimeDep
from sohoa.api.schemas import AuditPage, EventPublic, errors
from sohoa.core.clock import VN_TZ
from sohoa.pipeline.actions.audit import audit_page
from sohoa.storage.audit import AuditFilter

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


def _aware(moment: datetime | None) -> datetime | None:
    # A time without a zone is read as Vietnam's, the zone every answer is given in.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=VN_TZ)


class AuditParams(BaseModel):
    """The query string: one parameter per field of ``AuditFilter``, and the page."""

    actor: str | None = Field(default=None, max_length=128, description="user name, or `cli:…`, `worker`…")
    document_id: str | None = Field(default=None, max_length=36)
    batch_id: str | None = Field(default=None, max_length=36)
    action: str | None = Field(
        default=None, max_length=64, description="exact (`download.signed`) or a prefix ending in `*` (`auth.*`)"
    )
    since: Annotated[datetime | None, AfterValidator(_aware)] = Field(
        default=None, description="at or after (ISO 8601; no zone = Vietnam)"
    )
    until: Annotated[datetime | None, AfterValidator(_aware)] = Field(default=None, description="before")
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0, le=10_000_000)

    def filter(self) -> AuditFilter:
        return AuditFilter(**self.model_dump(exclude={"limit", "offset"}))


@router.get("", response_model=AuditPage, responses=errors(401, 403, 422))
def list_events(rt: RuntimeDep, _user: Auditor, params: Annotated[AuditParams, Query()]) -> AuditPage:
    found, total = audit_page(rt, params.filter(), limit=params.limit, offset=params.offset)
    events = [EventPublic.model_validate(e) for e in found]
    return AuditPage(total=total, limit=params.limit, offset=params.offset, events=events)

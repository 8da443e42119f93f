"""The archive: corrections by supersession, lineage, retention and legal holds, fixity results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, UploadFile
from pydantic import AliasChoices, BaseModel, Field

from sohoa.api.deps import Auditor, DocumentReader, HoldKeeper, RegistryManager, RuntimeDep
from sohoa.api.schemas import FromAttributes, LocalTime, errors
from sohoa.core.errors import NotFound
from sohoa.pipeline.actions.documents import lineage as read_lineage
from sohoa.pipeline.fixity import latest_fixity
from sohoa.pipeline.intake import IncomingFile
from sohoa.pipeline.retention import archive_protection, place_hold, release_hold
from sohoa.pipeline.supersede import supersede_document

__all__ = ["router"]

router = APIRouter(tags=["archive"])

ERRORS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 422)
CONFLICTS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 409, 422)


class LinkPublic(FromAttributes):
    old_document_id: str
    new_document_id: str
    new_state: str
    effective: bool
    reason: str
    actor: str
    at: LocalTime


class LineagePublic(FromAttributes):
    document_id: str
    superseded: bool
    supersedes: list[LinkPublic]
    superseded_by: list[LinkPublic]


class SupersedePublic(BaseModel):
    old_document_id: str
    new_document_id: str
    batch_id: str
    state: str
    lineage_key: str


class ProtectionPublic(FromAttributes):
    document_id: str
    archive_key: str
    retention_mode: str | None = Field(validation_alias=AliasChoices("mode", "retention_mode"))
    retain_until: LocalTime | None
    legal_hold: bool
    hold_reason: str | None = None
    hold_placed_by: str | None = None
    hold_placed_at: LocalTime | None = None


class HoldRequest(BaseModel):
    reason: str


class FixityProblemPublic(FromAttributes):
    document_id: str
    key: str
    kind: str
    expected: str | None
    actual: str | None
    message: str


class FixityPublic(FromAttributes):
    run_id: int
    ok: bool
    started_at: LocalTime
    finished_at: LocalTime | None
    actor: str
    checked: int
    intact: int
    mismatched: int
    missing: int
    unreadable: int
    bytes_read: int
    problems: list[FixityProblemPublic]


@router.post(
    "/api/v1/documents/{document_id}/supersede",
    response_model=SupersedePublic,
    status_code=201,
    responses=CONFLICTS,
)
def supersede(
    document_id: str,
    rt: RuntimeDep,
    user: RegistryManager,
    file: Annotated[UploadFile, File(description="the corrected scan or PDF")],
    reason: Annotated[str, Form(description="why the archived record is corrected")],
) -> SupersedePublic:
    """Archive a corrected document that supersedes an archived one; the old record is kept."""
    result = supersede_document(
        rt, document_id, IncomingFile(file.filename or "unnamed", file.file), reason=reason, actor=user.name
    )
    return SupersedePublic(**result.__dict__)


@router.get("/api/v1/documents/{document_id}/lineage", response_model=LineagePublic, responses=ERRORS)
def lineage(document_id: str, rt: RuntimeDep, _user: DocumentReader) -> LineagePublic:
    """The records this document supersedes and those that supersede it."""
    return LineagePublic.model_validate(read_lineage(rt, document_id))


@router.get(
    "/api/v1/documents/{document_id}/retention",
    response_model=ProtectionPublic,
    responses=CONFLICTS,
)
def retention(document_id: str, rt: RuntimeDep, _user: DocumentReader) -> ProtectionPublic:
    """Until when the archived object is kept, and whether it is under legal hold."""
    return ProtectionPublic.model_validate(archive_protection(rt, document_id))


@router.post("/api/v1/documents/{document_id}/hold", response_model=ProtectionPublic, responses=CONFLICTS)
def hold(document_id: str, rt: RuntimeDep, user: HoldKeeper, body: Annotated[HoldRequest, Body()]) -> ProtectionPublic:
    return ProtectionPublic.model_validate(place_hold(rt, document_id, reason=body.reason, actor=user.name))


@router.post("/api/v1/documents/{document_id}/release", response_model=ProtectionPublic, responses=CONFLICTS)
def release(
    document_id: str, rt: RuntimeDep, user: HoldKeeper, body: Annotated[HoldRequest, Body()]
) -> ProtectionPublic:
    return ProtectionPublic.model_validate(release_hold(rt, document_id, reason=body.reason, actor=user.name))


@router.get("/api/v1/archive/fixity", response_model=FixityPublic, responses=ERRORS)
def fixity(rt: RuntimeDep, _user: Auditor) -> FixityPublic:
    """The latest fixity audit (``sohoa audit fixity`` or the schedule runs them)."""
    summary = latest_fixity(rt)
    if summary is None:
        raise NotFound("no fixity audit has run yet", code="no_fixity_run")
    return FixityPublic.model_validate(summary)

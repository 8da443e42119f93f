"""The archive: corrections by supersession, lineage, retention and legal holds, fixity results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, UploadFile
from pydantic import BaseModel

from sohoa.api.deps import Auditor, DocumentReader, HoldKeeper, RegistryManager, RuntimeDep
from sohoa.api.schemas import errors
from sohoa.core.clock import to_local
from sohoa.core.errors import NotFound
from sohoa.pipeline.actions.documents import lineage as read_lineage
from sohoa.pipeline.fixity import FixitySummary, latest_fixity
from sohoa.pipeline.intake import IncomingFile
from sohoa.pipeline.retention import ArchiveProtection, archive_protection, place_hold, release_hold
from sohoa.pipeline.supersede import Lineage, LineageLink, supersede_document

__all__ = ["router"]

router = APIRouter(tags=["archive"])

ERRORS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 422)
CONFLICTS: dict[int | str, dict[str, Any]] = errors(401, 403, 404, 409, 422)


def _local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment is not None else None


class LinkPublic(BaseModel):
    old_document_id: str
    new_document_id: str
    new_state: str
    effective: bool
    reason: str
    actor: str
    at: datetime

    @classmethod
    def from_link(cls, link: LineageLink) -> LinkPublic:
        return cls(**{**link.__dict__, "at": to_local(link.at)})


class LineagePublic(BaseModel):
    document_id: str
    superseded: bool
    supersedes: list[LinkPublic]
    superseded_by: list[LinkPublic]

    @classmethod
    def from_lineage(cls, lineage: Lineage) -> LineagePublic:
        return cls(
            document_id=lineage.document_id,
            superseded=lineage.superseded,
            supersedes=[LinkPublic.from_link(link) for link in lineage.supersedes],
            superseded_by=[LinkPublic.from_link(link) for link in lineage.superseded_by],
        )


class SupersedePublic(BaseModel):
    old_document_id: str
    new_document_id: str
    batch_id: str
    state: str
    lineage_key: str


class ProtectionPublic(BaseModel):
    document_id: str
    archive_key: str
    retention_mode: str | None
    retain_until: datetime | None
    legal_hold: bool
    hold_reason: str | None = None
    hold_placed_by: str | None = None
    hold_placed_at: datetime | None = None

    @classmethod
    def from_protection(cls, p: ArchiveProtection) -> ProtectionPublic:
        return cls(
            document_id=p.document_id,
            archive_key=p.archive_key,
            retention_mode=p.mode,
            retain_until=_local(p.retain_until),
            legal_hold=p.legal_hold,
            hold_reason=p.hold_reason,
            hold_placed_by=p.hold_placed_by,
            hold_placed_at=_local(p.hold_placed_at),
        )


class HoldRequest(BaseModel):
    reason: str


class FixityProblemPublic(BaseModel):
    document_id: str
    key: str
    kind: str
    expected: str | None
    actual: str | None
    message: str


class FixityPublic(BaseModel):
    run_id: int
    ok: bool
    started_at: datetime
    finished_at: datetime | None
    actor: str
    checked: int
    intact: int
    mismatched: int
    missing: int
    unreadable: int
    bytes_read: int
    problems: list[FixityProblemPublic]

    @classmethod
    def from_summary(cls, s: FixitySummary) -> FixityPublic:
        return cls(
            run_id=s.run_id,
            ok=s.ok,
            started_at=to_local(s.started_at),
            finished_at=_local(s.finished_at),
            actor=s.actor,
            checked=s.checked,
            intact=s.intact,
            mismatched=s.mismatched,
            missing=s.missing,
            unreadable=s.unreadable,
            bytes_read=s.bytes_read,
            problems=[FixityProblemPublic(**p.to_dict()) for p in s.problems],
        )


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
    return LineagePublic.from_lineage(read_lineage(rt, document_id))


@router.get(
    "/api/v1/documents/{document_id}/retention",
    response_model=ProtectionPublic,
    responses=CONFLICTS,
)
def retention(document_id: str, rt: RuntimeDep, _user: DocumentReader) -> ProtectionPublic:
    """Until when the archived object is kept, and whether it is under legal hold."""
    return ProtectionPublic.from_protection(archive_protection(rt, document_id))


@router.post("/api/v1/documents/{document_id}/hold", response_model=ProtectionPublic, responses=CONFLICTS)
def hold(document_id: str, rt: RuntimeDep, user: HoldKeeper, body: Annotated[HoldRequest, Body()]) -> ProtectionPublic:
    return ProtectionPublic.from_protection(place_hold(rt, document_id, reason=body.reason, actor=user.name))


@router.post("/api/v1/documents/{document_id}/release", response_model=ProtectionPublic, responses=CONFLICTS)
def release(
    document_id: str, rt: RuntimeDep, user: HoldKeeper, body: Annotated[HoldRequest, Body()]
) -> ProtectionPublic:
    return ProtectionPublic.from_protection(release_hold(rt, document_id, reason=body.reason, actor=user.name))


@router.get("/api/v1/archive/fixity", response_model=FixityPublic, responses=ERRORS)
def fixity(rt: RuntimeDep, _user: Auditor) -> FixityPublic:
    """The latest fixity audit (``sohoa audit fixity`` or the schedule runs them)."""
    summary = latest_fixity(rt)
    if summary is None:
        raise NotFound("no fixity audit has run yet", code="no_fixity_run")
    return FixityPublic.from_summary(summary)

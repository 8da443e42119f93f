"""The register of resolved dossiers: import, read, and staff links from documents to dossiers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from sohoa.api.deps import DocumentReader, Reviewer, RuntimeDep
from sohoa.api.routes.imports import add_import_route
from sohoa.api.schemas import DocumentPublic, FromAttributes, LocalTime, errors
from sohoa.core.periods import parse_period
from sohoa.pipeline.actions import registry

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/register", tags=["register"])

ERRORS = errors(401, 403, 404, 422)


class RegisterEntryPublic(FromAttributes):
    dossier_code: str
    procedure_code: str
    procedure_name: str | None
    field: str | None
    received_date: date | None
    resolved_date: date
    result_type: str


class RegisterList(BaseModel):
    total: int
    limit: int
    offset: int
    entries: list[RegisterEntryPublic]


class DossierPublic(BaseModel):
    entry: RegisterEntryPublic
    documents: list[DocumentPublic]


class LinkRequest(BaseModel):
    document_id: str


class LinkPublic(FromAttributes):
    document_id: str
    dossier_code: str
    linked_by: str
    linked_at: LocalTime
    registered: bool


add_import_route(router, "register", file_description="the one-stop system's export: CSV or JSON", responses=ERRORS)


@router.get("", response_model=RegisterList, responses=ERRORS)
def list_all(
    rt: RuntimeDep,
    _user: DocumentReader,
    period: Annotated[str | None, Query(description="resolved in 2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025")] = None,
    procedure_code: str | None = None,
    result_type: Annotated[str | None, Query(pattern="^(paper|electronic)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RegisterList:
    chosen = parse_period(period) if period else None
    entries, total = registry.register_entries(
        rt, period=chosen, procedure_code=procedure_code, result_type=result_type, limit=limit, offset=offset
    )
    return RegisterList(
        total=total, limit=limit, offset=offset, entries=[RegisterEntryPublic.model_validate(e) for e in entries]
    )


@router.get("/{dossier_code}", response_model=DossierPublic, responses=ERRORS)
def read(dossier_code: str, rt: RuntimeDep, _user: DocumentReader) -> DossierPublic:
    entry, filed = registry.dossier(rt, dossier_code)
    documents = [DocumentPublic.model_validate(d) for d in filed]
    return DossierPublic(entry=RegisterEntryPublic.model_validate(entry), documents=documents)


@router.post("/{dossier_code}/documents", response_model=LinkPublic, responses=ERRORS)
def link(dossier_code: str, body: LinkRequest, rt: RuntimeDep, user: Reviewer) -> LinkPublic:
    """Say which dossier a document belongs to; it overrides the dossier code it came with."""
    return LinkPublic.model_validate(registry.link(rt, body.document_id, dossier_code, actor=user.name))


@router.delete("/links/{document_id}", status_code=204, responses=ERRORS)
def unlink(document_id: str, rt: RuntimeDep, user: Reviewer) -> Response:
    """Drop a staff link: the document goes back to its own dossier code."""
    registry.unlink(rt, document_id, actor=user.name)
    return Response(status_code=204)

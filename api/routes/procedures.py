"""The procedure catalogue: list and look up for everyone signed in; import for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel

from sohoa.api.deps import ProcedureReader, RegistryManager, RuntimeDep
from sohoa.api.schemas import errors
from sohoa.pipeline.actions import registry
from sohoa.registry.procedures import Procedure
from sohoa.registry.sources import ImportReport

__all__ = ["ImportReportPublic", "ProcedureList", "ProcedurePublic", "router"]

router = APIRouter(prefix="/api/v1/procedures", tags=["procedures"])

ERRORS = errors(401, 403, 422)


class ProcedurePublic(BaseModel):
    code: str
    name: str
    field: str | None
    agency: str | None

    @classmethod
    def from_value(cls, p: Procedure) -> ProcedurePublic:
        return cls(code=p.code, name=p.name, field=p.field, agency=p.agency)


class ProcedureList(BaseModel):
    total: int
    limit: int
    offset: int
    procedures: list[ProcedurePublic]


class RowErrorPublic(BaseModel):
    line: int
    code: str
    message: str
    key: str | None = None


class ImportReportPublic(BaseModel):
    rows: int
    inserted: int
    updated: int
    unchanged: int
    errors: list[RowErrorPublic]

    @classmethod
    def from_value(cls, report: ImportReport) -> ImportReportPublic:
        return cls.model_validate(report.to_dict())


@router.get("", response_model=ProcedureList, responses=ERRORS)
def list_all(
    rt: RuntimeDep,
    _user: ProcedureReader,
    q: Annotated[str | None, Query(description="words of the code, name, field or agency; accents optional")] = None,
    field: Annotated[str | None, Query(description="exact field (lĩnh vực)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ProcedureList:
    found, total = registry.procedures(rt, query=q, field=field, limit=limit, offset=offset)
    return ProcedureList(
        total=total, limit=limit, offset=offset, procedures=[ProcedurePublic.from_value(p) for p in found]
    )


@router.get("/{code}", response_model=ProcedurePublic, responses=errors(401, 403, 404, 422))
def read(code: str, rt: RuntimeDep, _user: ProcedureReader) -> ProcedurePublic:
    return ProcedurePublic.from_value(registry.procedure(rt, code))


@router.post("/import", response_model=ImportReportPublic, responses=ERRORS)
def import_file(
    rt: RuntimeDep,
    user: RegistryManager,
    file: Annotated[UploadFile, File(description="CSV (code,name,field,agency) or JSON array")],
) -> ImportReportPublic:
    report = registry.import_file(rt, "procedures", file.file, filename=file.filename, actor=user.name)
    return ImportReportPublic.from_value(report)

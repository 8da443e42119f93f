"""The procedure catalogue: list and look up for everyone signed in; import for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from sohoa.api.deps import ProcedureReader, RuntimeDep
from sohoa.api.routes.imports import add_import_route
from sohoa.api.schemas import FromAttributes, errors
from sohoa.pipeline.actions import registry

__all__ = ["ProcedureList", "ProcedurePublic", "router"]

router = APIRouter(prefix="/api/v1/procedures", tags=["procedures"])

ERRORS = errors(401, 403, 422)


class ProcedurePublic(FromAttributes):
    code: str
    name: str
    field: str | None
    agency: str | None


class ProcedureList(BaseModel):
    total: int
    limit: int
    offset: int
    procedures: list[ProcedurePublic]


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
        total=total, limit=limit, offset=offset, procedures=[ProcedurePublic.model_validate(p) for p in found]
    )


@router.get("/{code}", response_model=ProcedurePublic, responses=errors(401, 403, 404, 422))
def read(code: str, rt: RuntimeDep, _user: ProcedureReader) -> ProcedurePublic:
    return ProcedurePublic.model_validate(registry.procedure(rt, code))


add_import_route(router, "procedures", file_description="CSV (code,name,field,agency) or JSON array", responses=ERRORS)

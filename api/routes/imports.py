"""``POST …/import``: the procedure catalogue and the register are loaded by the same route, one per router.

No ``from __future__ import annotations`` in this module: the route's file parameter carries the
caller's description, a value FastAPI must find in the annotation itself, not a name to look up here.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel

from sohoa.api.deps import RegistryManager, RuntimeDep
from sohoa.pipeline.actions import registry
from sohoa.registry.sources import ImportReport

__all__ = ["ImportReportPublic", "RowErrorPublic", "add_import_route"]


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
    def from_value(cls, report: ImportReport) -> "ImportReportPublic":
        return cls.model_validate(report.to_dict())


def add_import_route(
    router: APIRouter,
    which: Literal["procedures", "register"],
    *,
    file_description: str,
    responses: dict[int | str, dict[str, Any]],
) -> None:
    """Add ``POST {prefix}/import`` to ``router``: an administrator loads a CSV or JSON file of ``which``."""

    def import_file(
        rt: RuntimeDep,
        user: RegistryManager,
        file: Annotated[UploadFile, File(description=file_description)],
    ) -> ImportReportPublic:
        report = registry.import_file(rt, which, file.file, filename=file.filename, actor=user.name)
        return ImportReportPublic.from_value(report)

    router.post("/import", response_model=ImportReportPublic, responses=responses)(import_file)

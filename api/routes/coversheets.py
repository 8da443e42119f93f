"""Cover sheets: printable PDFs to put on top of each dossier before a stack is scanned."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sohoa.api.deps import CoverSheetPrinter
from sohoa.api.schemas import errors
from sohoa.ingest.coversheet import SheetEntry
from sohoa.pipeline.actions import coversheets

__all__ = ["CoverSheetEntry", "CoverSheetList", "router"]

router = APIRouter(prefix="/api/v1/coversheets", tags=["coversheets"])

PDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "A4 cover sheets, one page per dossier"},
    **errors(401, 403, 422),
}


class CoverSheetEntry(BaseModel):
    procedure_code: str = Field(max_length=64, description="mã thủ tục")
    dossier_code: str = Field(max_length=64, description="mã hồ sơ")
    title: str | None = Field(default=None, max_length=300)
    applicant: str | None = Field(default=None, max_length=300)


class CoverSheetList(BaseModel):
    entries: list[CoverSheetEntry] = Field(min_length=1, max_length=1000)


def _pdf(content: bytes, name: str) -> Response:
    safe = re.sub(r"[^0-9A-Za-z.-]+", "_", name)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="phieu-bia-{safe}.pdf"'},
    )


@router.get("", response_class=Response, responses=PDF_ANSWER)
def cover_sheet(
    _user: CoverSheetPrinter,
    procedure_code: Annotated[str, Query(max_length=64, description="mã thủ tục")],
    dossier_code: Annotated[str, Query(max_length=64, description="mã hồ sơ")],
    title: Annotated[str | None, Query(max_length=300)] = None,
    applicant: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """One cover sheet: QR code and printed codes for the dossier."""
    pdf = coversheets.cover_sheets([SheetEntry(procedure_code, dossier_code, title, applicant)])
    return _pdf(pdf, dossier_code)


@router.post("", response_class=Response, responses=PDF_ANSWER)
def cover_sheets(_user: CoverSheetPrinter, body: CoverSheetList) -> Response:
    """Cover sheets for a register list, one page per dossier, in the order given."""
    entries = [SheetEntry(e.procedure_code, e.dossier_code, e.title, e.applicant) for e in body.entries]
    return _pdf(coversheets.cover_sheets(entries), f"{len(entries)}")

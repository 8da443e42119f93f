"""Reference data and paper: import the register and the procedure catalogue, print cover sheets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from fastapi.responses import HTMLResponse, Response

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.core.errors import InputRejected, SohoaError
from sohoa.core.periods import PeriodKind, current_period, parse_period
from sohoa.pipeline.actions import coversheets, registry
from sohoa.registry.sources import ImportReport

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Importer = Annotated[Page, Depends(allowed(Right.MANAGE_REGISTRY))]
Printer = Annotated[Page, Depends(allowed(Right.PRINT_COVER_SHEETS))]
# the two files an office imports, as the form's address names them
Imported = Annotated[Literal["register", "procedures"], Path()]


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did, for the page: which file it was, and its report or why it was refused."""

    which: str
    report: ImportReport | None = None
    error: str | None = None
    status: int = 200


def _registry_page(page: Page, outcome: ImportOutcome | None = None) -> HTMLResponse:
    entries, procedures = registry.registry_counts(page.rt)
    status = outcome.status if outcome else 200
    return page.render("registry.html", status=status, entries=entries, procedures=procedures, outcome=outcome)


@router.get("/registry", response_class=HTMLResponse)
def registry_page(page: Importer) -> HTMLResponse:
    return _registry_page(page)


@router.post("/registry/{which}", response_class=HTMLResponse)
def import_file(page: Importer, which: Imported, file: Annotated[UploadFile, File()]) -> HTMLResponse:
    """The register or the procedure catalogue, from the page's two forms."""
    # The form's csrf_token field was checked by the user dependency (api.deps) before we got here.
    try:
        report = registry.import_file(page.rt, which, file.file, filename=file.filename, actor=page.user.name)
    except SohoaError as exc:
        return _registry_page(page, ImportOutcome(which, error=exc.code, status=exc.http_status))
    return _registry_page(page, ImportOutcome(which, report=report))


@router.get("/coversheets", response_class=HTMLResponse)
def cover_sheet_page(page: Printer) -> HTMLResponse:
    quick = [current_period(kind) for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)]
    return page.render("coversheets.html", quick=quick)


@router.get("/ui/coversheets/missing.pdf")
def missing_cover_sheets(page: Printer, period: Annotated[str, Query(max_length=16)] = "") -> Response:
    """One cover sheet per paper dossier of ``period`` still without its signed archived result."""
    try:
        chosen = parse_period(period) if period else current_period(PeriodKind.YEAR)
    except InputRejected:
        raise PageRefused(422, "error.bad_period", value=period) from None
    pdf, _missing = coversheets.missing_cover_sheets(page.rt, chosen)
    if pdf is None:
        raise PageRefused(404, "error.nothing_missing", period=chosen.label)
    name = re.sub(r"[^0-9A-Za-z-]+", "_", chosen.label)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="phieu-bia-thieu-{name}.pdf"'},
    )

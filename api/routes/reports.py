"""Coverage reports of the digitization indicators: JSON, CSV or an Excel workbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import ErrorPublic
from sohoa.registry.coverage import compute_coverage
from sohoa.registry.export import ReportFormat, ReportTable, render_report, report_to_dict
from sohoa.registry.periods import parse_period
from sohoa.storage.catalogue import record_event

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic},
    403: {"model": ErrorPublic},
    422: {"model": ErrorPublic},
}
Reader = Annotated[Principal, Depends(require(Right.READ_REPORTS))]
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {ReportFormat.CSV.media_type: {}, ReportFormat.XLSX.media_type: {}}},
}


@router.get("", responses={**ERRORS, **_CONTENT})
def coverage_report(
    rt: RuntimeDep,
    user: Reader,
    period: Annotated[str, Query(description="2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025 (Vietnam's calendar)")],
    report_format: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
    table: Annotated[ReportTable, Query(description="CSV only: coverage rows or the missing list")] = (
        ReportTable.COVERAGE
    ),
) -> Response:
    chosen = parse_period(period)
    with rt.db.session() as session:
        report = compute_coverage(session, chosen)
        record_event(
            session,
            actor=user.name,
            action="report.generated",
            details={"period": chosen.label, "format": report_format.value, "table": table.value},
        )
    if report_format is ReportFormat.JSON:
        return JSONResponse(report_to_dict(report))
    suffix = "-missing" if report_format is ReportFormat.CSV and table is ReportTable.MISSING else ""
    name = f"sohoa-coverage-{chosen.label}{suffix}.{report_format.value}"
    return Response(
        render_report(report, report_format, table=table),
        media_type=report_format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

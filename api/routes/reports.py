"""Coverage reports of the digitization indicators: JSON, CSV or an Excel workbook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from sohoa.api.deps import ReportReader, RuntimeDep
from sohoa.api.rights import sees_owner_data
from sohoa.api.schemas import errors
from sohoa.core.periods import parse_period
from sohoa.pipeline.actions.reports import coverage_file, report_dict
from sohoa.registry.export import ReportFormat, ReportTable

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ERRORS = errors(401, 403, 422)
_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {ReportFormat.CSV.media_type: {}, ReportFormat.XLSX.media_type: {}}},
}


@router.get("", responses={**ERRORS, **_CONTENT})
def coverage_report(
    rt: RuntimeDep,
    user: ReportReader,
    period: Annotated[str, Query(description="2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025 (Vietnam's calendar)")],
    report_format: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
    table: Annotated[ReportTable, Query(description="CSV only: coverage rows or the missing list")] = (
        ReportTable.COVERAGE
    ),
) -> Response:
    full = sees_owner_data(user.role, rt.settings)
    made = coverage_file(rt, parse_period(period), report_format, table=table, actor=user.name, full_owner_ids=full)
    if report_format is ReportFormat.JSON:
        return JSONResponse(report_dict(made.report))
    return Response(
        made.content,
        media_type=made.media_type,
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )

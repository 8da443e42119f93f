"""The dashboard: progress toward every paper result digitized, signed and archived.

Figures come from ``registry.coverage`` (the register of resolved dossiers against the
documents), for a reporting period: overall, by procedure, by field and by month, as charts
and as tables, with the dossiers still missing their result and the report downloads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, allowed
from sohoa.api.web.i18n import Translator
from sohoa.core.errors import InputRejected
from sohoa.core.periods import PeriodKind, current_period, parse_period
from sohoa.pipeline.actions.reports import coverage_report, monthly_coverage, period_choices, period_title
from sohoa.registry.coverage import Coverage, CoverageReport

__all__ = ["MISSING_SHOWN", "chart_data", "router"]

router = APIRouter(include_in_schema=False)

Reader = Annotated[Page, Depends(allowed(Right.READ_REPORTS))]
MISSING_SHOWN = 200  # rows of the missing list on the page; the CSV export has them all


def _series(t: Translator, rows: list[tuple[str, Coverage]]) -> dict[str, Any]:
    return {
        "labels": [label for label, _ in rows],
        "datasets": [
            {"label": t(f"dashboard.{name}"), "key": name, "data": [getattr(c, name) for _, c in rows]}
            for name in ("paper", "digitized", "signed", "archived")
        ],
    }


def chart_data(t: Translator, report: CoverageReport, months: list[tuple[str, Coverage]]) -> dict[str, Any]:
    """What the page's charts draw: dossier counts by procedure, field and month."""
    return {
        "procedure": _series(t, [(p.procedure_code, p.coverage) for p in report.by_procedure]),
        "field": _series(t, [(f.field or t("dashboard.no_field"), f.coverage) for f in report.by_field]),
        "month": _series(t, months),
        "axis": t("dashboard.dossiers"),
    }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(page: Reader, period: Annotated[str | None, Query(max_length=16)] = None) -> HTMLResponse:
    error = None
    try:
        chosen = parse_period(period) if period else current_period(PeriodKind.YEAR)
    except InputRejected:
        error = ("error.bad_period", {"value": period or ""})
        chosen = current_period(PeriodKind.YEAR)
    report = coverage_report(page.rt, chosen)
    months = monthly_coverage(page.rt, chosen)
    choices = period_choices()
    return page.render(
        "dashboard.html",
        report=report,
        overall=report.overall.to_dict(),
        months=months,
        missing=report.missing[:MISSING_SHOWN],
        missing_total=len(report.missing),
        charts=chart_data(page.t, report, months),
        period=chosen,
        due=[c for c in choices if c.previous],
        running=[c for c in choices if not c.previous],
        period_title=period_title(chosen),
        error=error,
        can_print=page.can(Right.PRINT_COVER_SHEETS),
    )

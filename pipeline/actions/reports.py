"""Progress toward the 100 % target: the coverage report in every format, the dashboard's figures,
the operator metrics. One computation whichever door asks; asking for a report is audited."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sohoa.core.clock import to_local, utcnow
from sohoa.core.periods import Period, PeriodKind, current_period, parse_period
from sohoa.pipeline.diskspace import disk_metrics_text
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.signing_ops import signer_status
from sohoa.registry.coverage import (
    Coverage,
    CoverageReport,
    DossierStatus,
    compute_coverage,
    dossier_statuses,
    summarize,
)
from sohoa.registry.export import (
    ReportFormat,
    ReportHeading,
    ReportTable,
    period_in_words,
    render_report,
    report_to_dict,
)
from sohoa.registry.metrics import render_metrics
from sohoa.storage.catalogue import record_event

__all__ = [
    "CoverageFile",
    "PeriodChoice",
    "coverage_file",
    "coverage_report",
    "dossiers_of_period",
    "metrics_text",
    "monthly_coverage",
    "period_choices",
    "period_title",
    "report_dict",
    "report_heading",
]


def coverage_report(
    rt: Runtime,
    period: Period,
    *,
    actor: str | None = None,
    purpose: dict[str, str] | None = None,
    full_owner_ids: bool = False,
) -> CoverageReport:
    """Coverage of the dossiers resolved in ``period``; owners' numbers masked unless ``full_owner_ids``.

    A report taken away (``actor``: the API's, the CLI's) is one ``report.generated`` event; the
    dashboard's figures, looked at on a page, are not."""
    with rt.db.session() as session:
        report = compute_coverage(session, period, full_owner_ids=full_owner_ids)
        if actor is not None:
            details = {"period": period.label, **(purpose or {})}
            record_event(session, actor=actor, action="report.generated", details=details)
    return report


@dataclass(frozen=True)
class CoverageFile:
    content: bytes
    media_type: str
    filename: str
    report: CoverageReport


def coverage_file(
    rt: Runtime,
    period: Period,
    fmt: ReportFormat,
    *,
    table: ReportTable = ReportTable.COVERAGE,
    actor: str,
    full_owner_ids: bool = False,
) -> CoverageFile:
    """The report as a file a department hands in (JSON, CSV with a BOM for Excel, or XLSX); owners'
    numbers in the missing list are masked unless the maker may see them (``full_owner_ids``)."""
    purpose = {"format": fmt.value, "table": table.value}
    report = coverage_report(rt, period, actor=actor, purpose=purpose, full_owner_ids=full_owner_ids)
    suffix = "-missing" if fmt is ReportFormat.CSV and table is ReportTable.MISSING else ""
    workbook = fmt is ReportFormat.XLSX
    return CoverageFile(
        content=render_report(
            report,
            fmt,
            table=table,
            heading=report_heading(rt) if workbook else None,
            months=monthly_coverage(rt, period) if workbook else None,
        ),
        media_type=fmt.media_type,
        filename=f"sohoa-coverage-{period.label}{suffix}.{fmt.value}",
        report=report,
    )


def report_heading(rt: Runtime) -> ReportHeading:
    """The title block's agency (``SOHOA_AGENCY_NAME``), its parent (``SOHOA_AGENCY_PARENT``) and the
    place written before the date (``SOHOA_SIGNING_LOCATION``)."""
    settings = rt.settings
    return ReportHeading(settings.agency_name, settings.agency_parent, settings.signing_location)


def period_title(period: Period) -> str:
    """``Quý IV năm 2025``: the period as the report's title says it."""
    return period_in_words(period)


@dataclass(frozen=True)
class PeriodChoice:
    period: Period
    title: str  # in words
    previous: bool  # a period already over: the one a report is due for


def period_choices(now: datetime | None = None) -> list[PeriodChoice]:
    """The periods a report is asked for most: the previous quarter, half year and year (the ones due),
    then this month, quarter and year (progress so far)."""
    local = to_local(now or utcnow())
    year, month = local.year, local.month
    quarter, half = (month - 1) // 3 + 1, (month - 1) // 6 + 1
    previous = [
        f"{year}-Q{quarter - 1}" if quarter > 1 else f"{year - 1}-Q4",
        f"{year}-H{half - 1}" if half > 1 else f"{year - 1}-H2",
        str(year - 1),
    ]
    choices = [PeriodChoice(p, period_in_words(p), True) for p in map(parse_period, previous)]
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR):
        current = current_period(kind, now)
        choices.append(PeriodChoice(current, period_in_words(current), False))
    return choices


def report_dict(report: CoverageReport) -> dict[str, object]:
    """The report as JSON-able values (the API's and ``sohoa report --format json``'s shape)."""
    return report_to_dict(report)


def dossiers_of_period(rt: Runtime, period: Period) -> Sequence[DossierStatus]:
    """Each dossier resolved in ``period`` with what it still lacks (the dashboard's months, the
    missing list's cover sheets)."""
    with rt.db.session() as session:
        return dossier_statuses(session, period)


def monthly_coverage(rt: Runtime, period: Period) -> list[tuple[str, Coverage]]:
    """Coverage of each calendar month of ``period`` (by resolved date), months without dossiers included."""
    by_month: dict[str, list[DossierStatus]] = defaultdict(list)
    for status in dossiers_of_period(rt, period):
        by_month[status.entry.resolved_date.strftime("%Y-%m")].append(status)
    months = []
    year, month = period.start.year, period.start.month
    while (year, month) < (period.end.year, period.end.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return [(label, summarize(by_month.get(label, []))) for label in months]


def metrics_text(rt: Runtime) -> bytes:
    """Prometheus' text format; the certificate's end comes from the signer's cached check."""
    health = signer_status(rt)
    with rt.db.session() as session:
        text = render_metrics(session, certificate_not_after=health.not_after)
    return text + disk_metrics_text(rt.settings)

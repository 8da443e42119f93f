"""A coverage report as JSON, CSV or an Excel workbook.

JSON and CSV keys are English and stable (machines read them); the workbook speaks
Vietnamese to the people who file it, with English sheet names so scripts can find them:
``Summary`` (indicators and a chart), ``Procedures`` (per procedure, with a chart),
``Fields`` and ``Missing`` (the dossiers still without a signed archived result).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, TextIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from sohoa.core.clock import to_local
from sohoa.core.errors import InputRejected
from sohoa.registry.coverage import Coverage, CoverageReport

__all__ = [
    "COVERAGE_CSV_COLUMNS",
    "MISSING_CSV_COLUMNS",
    "SHEETS",
    "ReportFormat",
    "ReportTable",
    "render_report",
    "report_to_dict",
    "write_report_csv",
    "write_report_xlsx",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ("Summary", "Procedures", "Fields", "Missing")


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        return {
            ReportFormat.JSON: "application/json",
            ReportFormat.CSV: "text/csv; charset=utf-8",
            ReportFormat.XLSX: XLSX_MEDIA_TYPE,
        }[self]


class ReportTable(StrEnum):
    """Which table a CSV holds: one file is one table."""

    COVERAGE = "coverage"
    MISSING = "missing"


def _local_iso(moment: datetime) -> str:
    return to_local(moment).isoformat(timespec="seconds")


def report_to_dict(report: CoverageReport) -> dict[str, Any]:
    period = report.period
    return {
        "period": {
            "label": period.label,
            "kind": period.kind.value,
            "start": period.start.isoformat(),
            "end": period.last_day.isoformat(),  # inclusive, as people write it
            "timezone": "Asia/Ho_Chi_Minh",
        },
        "generated_at": _local_iso(report.generated_at),
        "coverage": report.overall.to_dict(),
        "by_procedure": [
            {
                "procedure_code": p.procedure_code,
                "procedure_name": p.procedure_name,
                "field": p.field,
                "agency": p.agency,
                "coverage": p.coverage.to_dict(),
            }
            for p in report.by_procedure
        ],
        "by_field": [{"field": f.field, "coverage": f.coverage.to_dict()} for f in report.by_field],
        "missing": [s.to_dict() for s in report.missing],
    }


_COUNTS = ("resolved", "paper", "electronic", "digitized", "signed", "archived", "fully_digitized", "missing")
_RATES = ("rate", "digitized_rate", "signed_rate", "archived_rate", "fully_digitized_rate")
COVERAGE_CSV_COLUMNS = ("scope", "procedure_code", "procedure_name", "field", "agency", *_COUNTS, *_RATES)
MISSING_CSV_COLUMNS = (
    "dossier_code",
    "procedure_code",
    "procedure_name",
    "field",
    "received_date",
    "resolved_date",
    "result_type",
    "documents",
    "best_state",
)


def _coverage_cells(coverage: Coverage) -> list[Any]:
    values = coverage.to_dict()
    return [values[c] for c in _COUNTS] + ["" if values[r] is None else values[r] for r in _RATES]


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (DDE
# included): names and codes come from imported files, so they are written as text (OWASP's
# CSV injection advice: a leading apostrophe).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_row(values: Sequence[Any]) -> list[Any]:
    return [_csv_text(value) for value in values]


def write_report_csv(report: CoverageReport, out: TextIO, table: ReportTable = ReportTable.COVERAGE) -> None:
    writer = csv.writer(out, lineterminator="\n")
    if table is ReportTable.MISSING:
        writer.writerow(MISSING_CSV_COLUMNS)
        for s in report.missing:
            row = s.to_dict()
            writer.writerow(_csv_row(["" if row[c] is None else row[c] for c in MISSING_CSV_COLUMNS]))
        return
    writer.writerow(COVERAGE_CSV_COLUMNS)
    writer.writerow(["overall", "", "", "", "", *_coverage_cells(report.overall)])
    for f in report.by_field:
        writer.writerow(_csv_row(["field", "", "", f.field or "", "", *_coverage_cells(f.coverage)]))
    for p in report.by_procedure:
        writer.writerow(
            _csv_row(
                [
                    "procedure",
                    p.procedure_code,
                    p.procedure_name or "",
                    p.field or "",
                    p.agency or "",
                    *_coverage_cells(p.coverage),
                ]
            )
        )


_BOLD = Font(bold=True)
_PERCENT = "0.0%"
_DATE = "DD/MM/YYYY"
_INDICATORS = (
    ("resolved", "Hồ sơ đã giải quyết", None),
    ("paper", "Trả kết quả bản giấy", None),
    ("digitized", "Kết quả đã số hóa", "digitized_rate"),
    ("signed", "Đã số hóa và ký số", "signed_rate"),
    ("archived", "Đã ký số và lưu trữ", "archived_rate"),
    ("fully_digitized", "Hồ sơ số hóa đầy đủ", "fully_digitized_rate"),
    ("missing", "Còn thiếu kết quả số hóa", None),
)
_COVERAGE_HEADERS = (
    "Hồ sơ đã giải quyết",
    "Bản giấy",
    "Đã số hóa",
    "Đã ký số",
    "Đã lưu trữ",
    "Số hóa đầy đủ",
    "Còn thiếu",
    "Tỷ lệ số hóa",
)


_MISSING_HEADERS = (
    "Mã hồ sơ",
    "Mã thủ tục",
    "Tên thủ tục",
    "Lĩnh vực",
    "Ngày tiếp nhận",
    "Ngày trả kết quả",
    "Số tài liệu",
    "Trạng thái xa nhất",  # how far its documents got, if any were scanned
)


def _text(ws: Worksheet, row: int, column: int, value: str | None) -> None:
    """An imported name or code, always a string cell: openpyxl would store ``=HYPERLINK(...)`` as a
    live formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if value is not None:
        cell.data_type = "s"


def _header(ws: Worksheet, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        ws.cell(row=row, column=column, value=title).font = _BOLD


def _coverage_row(ws: Worksheet, row: int, first_column: int, coverage: Coverage) -> None:
    values = (
        coverage.resolved,
        coverage.paper,
        coverage.digitized,
        coverage.signed,
        coverage.archived,
        coverage.fully_digitized,
        coverage.missing,
    )
    for offset, value in enumerate(values):
        ws.cell(row=row, column=first_column + offset, value=value)
    rate = ws.cell(row=row, column=first_column + len(values), value=coverage.rate)
    rate.number_format = _PERCENT


def _summary_sheet(ws: Worksheet, report: CoverageReport) -> None:
    ws.title = SHEETS[0]
    ws["A1"] = "Báo cáo số hóa kết quả giải quyết thủ tục hành chính"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"], ws["B2"] = "Kỳ báo cáo", report.period.label
    ws["A3"], ws["B3"] = "Từ ngày", report.period.start
    ws["A4"], ws["B4"] = "Đến ngày", report.period.last_day
    ws["B3"].number_format = ws["B4"].number_format = _DATE
    # Excel has no time zones: write Vietnam's wall-clock time and say so.
    ws["A5"], ws["B5"] = "Lập lúc (giờ Việt Nam)", to_local(report.generated_at).replace(tzinfo=None)
    ws["B5"].number_format = "DD/MM/YYYY HH:MM"
    _header(ws, 7, ("Chỉ tiêu", "Số hồ sơ", "Tỷ lệ"))
    values = report.overall.to_dict()
    for offset, (key, title, rate_key) in enumerate(_INDICATORS):
        row = 8 + offset
        ws.cell(row=row, column=1, value=title)
        ws.cell(row=row, column=2, value=values[key])
        if rate_key is not None:
            ws.cell(row=row, column=3, value=values[rate_key]).number_format = _PERCENT
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 16
    chart = BarChart()
    chart.type = "col"
    chart.title = f"Số hóa kết quả {report.period.label}"
    chart.y_axis.title = "Số hồ sơ"
    chart.legend = None
    # resolved .. fully_digitized: the funnel from resolved dossiers to complete digital results
    chart.add_data(Reference(ws, min_col=2, min_row=8, max_row=13), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=8, max_row=13))
    chart.width, chart.height = 18, 9
    ws.add_chart(chart, "E2")


def _procedures_sheet(ws: Worksheet, report: CoverageReport) -> None:
    _header(ws, 1, ("Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Cơ quan thực hiện", *_COVERAGE_HEADERS))
    for row, p in enumerate(report.by_procedure, start=2):
        _text(ws, row, 1, p.procedure_code)
        _text(ws, row, 2, p.procedure_name)
        _text(ws, row, 3, p.field)
        _text(ws, row, 4, p.agency)
        _coverage_row(ws, row, 5, p.coverage)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 50
    if report.by_procedure:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Tỷ lệ số hóa theo thủ tục"
        chart.legend = None
        chart.x_axis.title = "Mã thủ tục"
        chart.y_axis.number_format = _PERCENT
        last = len(report.by_procedure) + 1
        chart.add_data(Reference(ws, min_col=12, min_row=1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=last))
        chart.width, chart.height = 18, max(7.5, 0.5 * len(report.by_procedure))
        ws.add_chart(chart, "N2")


def _fields_sheet(ws: Worksheet, report: CoverageReport) -> None:
    _header(ws, 1, ("Lĩnh vực", *_COVERAGE_HEADERS))
    for row, f in enumerate(report.by_field, start=2):
        _text(ws, row, 1, f.field or "(chưa xác định)")
        _coverage_row(ws, row, 2, f.coverage)
    ws.column_dimensions["A"].width = 40


def _missing_sheet(ws: Worksheet, report: CoverageReport) -> None:
    _header(ws, 1, _MISSING_HEADERS)
    for row, s in enumerate(report.missing, start=2):
        e = s.entry
        _text(ws, row, 1, e.dossier_code)
        _text(ws, row, 2, e.procedure_code)
        _text(ws, row, 3, s.procedure_name)
        _text(ws, row, 4, s.field)
        ws.cell(row=row, column=5, value=e.received_date).number_format = _DATE
        ws.cell(row=row, column=6, value=e.resolved_date).number_format = _DATE
        ws.cell(row=row, column=7, value=s.documents)
        _text(ws, row, 8, s.best_state)
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["C"].width = 50


def write_report_xlsx(report: CoverageReport, out: BinaryIO) -> None:
    wb = Workbook()
    _summary_sheet(wb.active, report)
    _procedures_sheet(wb.create_sheet(SHEETS[1]), report)
    _fields_sheet(wb.create_sheet(SHEETS[2]), report)
    _missing_sheet(wb.create_sheet(SHEETS[3]), report)
    wb.save(out)


def render_report(report: CoverageReport, fmt: ReportFormat | str, *, table: ReportTable | str = "coverage") -> bytes:
    """The report as file bytes; CSV carries a BOM so spreadsheet programs read Vietnamese right."""
    try:
        fmt, table = ReportFormat(fmt), ReportTable(table)
    except ValueError as exc:
        raise InputRejected(str(exc), code="invalid_report_format") from None
    if fmt is ReportFormat.JSON:
        return json.dumps(report_to_dict(report), ensure_ascii=False, indent=2).encode()
    if fmt is ReportFormat.CSV:
        text = io.StringIO()
        write_report_csv(report, text, table)
        return text.getvalue().encode("utf-8-sig")
    buffer = io.BytesIO()
    write_report_xlsx(report, buffer)
    return buffer.getvalue()

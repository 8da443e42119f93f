from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from sohoa.api.app import create_app
from sohoa.api.routes import procedures, register, reports
from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.registry.export import SHEETS
from tests.api.conftest import auth
from tests.registry.builders import add_document, dossier_code, register_csv
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE

DAY = date(2025, 2, 10)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The app with the registry's routers, whether or not create_app includes them yet."""
    app = create_app(runtime=runtime)
    present = {getattr(route, "path", None) for route in app.routes}
    for module in (procedures, register, reports):
        if not any(getattr(route, "path", None) in present for route in module.router.routes):
            app.include_router(module.router)
    with TestClient(app) as test_client:
        yield test_client


def _register(count: int) -> bytes:
    return register_csv(
        [dossier_code(DAY, i), PROCEDURE, "Cấp giấy phép karaoke", "Văn hóa", DAY, DAY, "paper"] for i in range(count)
    )


def _import(client: TestClient, token: str, data: bytes, name: str = "register.csv") -> dict:
    answer = client.post("/api/v1/register/import", headers=auth(token), files={"file": (name, data, "text/csv")})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_register_import_over_http_is_idempotent_and_reports_bad_lines(
    client: TestClient, tokens: dict[str, str]
) -> None:
    data = _register(5) + f"bad code,{PROCEDURE},x,y,2025-02-01,2025-02-02,paper\n".encode()
    first = _import(client, tokens["admin"], data)
    assert (first["rows"], first["inserted"]) == (6, 5)
    assert [(e["line"], e["code"]) for e in first["errors"]] == [(7, "invalid_dossier_code")]
    again = _import(client, tokens["admin"], data)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 5)
    refused = client.post(
        "/api/v1/register/import", headers=auth(tokens["uploader"]), files={"file": ("r.csv", data, "text/csv")}
    )
    assert refused.status_code == 403
    whole = client.post(
        "/api/v1/register/import", headers=auth(tokens["admin"]), files={"file": ("r.csv", b"a,b\n1,2\n", "text/csv")}
    )
    assert whole.status_code == 422 and whole.json()["code"] == "missing_columns"

    listing = client.get("/api/v1/register", params={"period": "2025-02"}, headers=auth(tokens["auditor"]))
    assert listing.status_code == 200 and listing.json()["total"] == 5
    assert listing.json()["entries"][0]["resolved_date"] == DAY.isoformat()


def test_staff_link_a_document_and_the_report_follows(
    client: TestClient, runtime: Runtime, tokens: dict[str, str]
) -> None:
    _import(client, tokens["admin"], _register(3))
    with runtime.db.session() as session:
        doc_id = add_document(session, dossier=None, state=DocumentState.ARCHIVED, procedure_code=PROCEDURE).id
    target = dossier_code(DAY, 1)
    linked = client.post(
        f"/api/v1/register/{target}/documents", json={"document_id": doc_id}, headers=auth(tokens["reviewer"])
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["registered"] is True and linked.json()["linked_at"].endswith("+07:00")
    dossier = client.get(f"/api/v1/register/{target}", headers=auth(tokens["archivist"])).json()
    assert [d["id"] for d in dossier["documents"]] == [doc_id]

    body = client.get("/api/v1/reports", params={"period": "2025-Q1"}, headers=auth(tokens["archivist"])).json()
    assert body["coverage"]["archived"] == 1 and body["coverage"]["rate"] == 1 / 3
    assert target not in {m["dossier_code"] for m in body["missing"]}

    assert client.delete(f"/api/v1/register/links/{doc_id}", headers=auth(tokens["reviewer"])).status_code == 204
    body = client.get("/api/v1/reports", params={"period": "2025-02"}, headers=auth(tokens["auditor"])).json()
    assert body["coverage"]["archived"] == 0 and len(body["missing"]) == 3
    missing_doc = client.post(
        f"/api/v1/register/{target}/documents", json={"document_id": "nope"}, headers=auth(tokens["reviewer"])
    )
    assert missing_doc.status_code == 404


def test_reports_in_every_format_and_only_for_readers(client: TestClient, tokens: dict[str, str]) -> None:
    _import(client, tokens["admin"], _register(4))
    headers = auth(tokens["auditor"])
    as_csv = client.get("/api/v1/reports", params={"period": "2025-H1", "format": "csv"}, headers=headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="sohoa-coverage-2025-H1.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0]["scope"] == "overall" and rows[0]["paper"] == "4" and rows[0]["rate"] == "0.0"
    missing = client.get(
        "/api/v1/reports", params={"period": "2025-H1", "format": "csv", "table": "missing"}, headers=headers
    )
    assert len(list(csv.DictReader(io.StringIO(missing.content.decode("utf-8-sig"))))) == 4

    as_xlsx = client.get("/api/v1/reports", params={"period": "2025", "format": "xlsx"}, headers=headers)
    assert as_xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(as_xlsx.content))
    assert workbook.sheetnames == list(SHEETS) and workbook["Biểu đồ"]._charts

    bad = client.get("/api/v1/reports", params={"period": "2025-Q7"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_period"
    assert client.get("/api/v1/reports", params={"period": "2025"}, headers=auth(tokens["uploader"])).status_code == 403
    assert client.get("/api/v1/reports", params={"period": "2025"}).status_code == 401


def test_procedure_catalogue_over_http(client: TestClient, tokens: dict[str, str]) -> None:
    catalogue = "code,name,field,agency\n1.001029,Cấp giấy phép kinh doanh karaoke,Văn hóa,Sở VHTTDL\n1.1,x,,\n"
    answer = client.post(
        "/api/v1/procedures/import",
        headers=auth(tokens["admin"]),
        files={"file": ("catalogue.csv", catalogue.encode(), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["inserted"] == 1 and [e["line"] for e in answer.json()["errors"]] == [3]
    listing = client.get("/api/v1/procedures", params={"q": "karaoke"}, headers=auth(tokens["uploader"]))
    assert [p["code"] for p in listing.json()["procedures"]] == ["1.001029"]
    one = client.get(f"/api/v1/procedures/{PROCEDURE}", headers=auth(tokens["uploader"]))
    assert one.status_code == 200 and one.json()["agency"] == "Sở VHTTDL"
    assert client.get("/api/v1/procedures/2.000001", headers=auth(tokens["uploader"])).status_code == 404
    refused = client.post(
        "/api/v1/procedures/import",
        headers=auth(tokens["reviewer"]),
        files={"file": ("catalogue.csv", catalogue.encode(), "text/csv")},
    )
    assert refused.status_code == 403

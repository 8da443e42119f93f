"""Dossiers, owners and reuse through the API and the CLI, on SQLite and PostgreSQL (issue 25, items 1-4, 6).

Scans carry their text in a QR code (tests/api/web/engines.py), so the pipeline reads exactly the
lines written here: owners' numbers, "có giá trị đến ngày ...", a licence's number and date.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.cli.main import app as cli_app
from sohoa.core.domain import DocumentState
from sohoa.core.owners import parse_owner_id
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import IncomingFile
from sohoa.pipeline.queue import InProcessQueue
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.supersede import supersede_document
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.records import EventRecord
from tests.api.conftest import auth, tokens_by_role
from tests.api.web.scans import decision_lines, make_scan
from tests.support.codes import PROCEDURE, short_code

A_ID, A_NAME = "001085012389", "Nguyễn Văn An"
B_ID, B_NAME = "0312345678", "Công ty TNHH Hoa Sen"
D1 = "000.00.32.H19-250312-0017"
D2 = "000.00.32.H19-250401-0042"
D3 = "000.00.32.H19-250313-0018"
CCCD_COPY = "Bản sao Căn cước công dân"
REGISTER = (
    "dossier_code,procedure_code,received_date,resolved_date,result_type,owner_id_type,owner_id,owner_name\n"
    f"{D1},{short_code(PROCEDURE)},2025-03-12,2025-03-20,paper,cccd,{A_ID},{A_NAME}\n"
    f"{D3},{short_code(PROCEDURE)},2025-03-13,2025-03-21,paper,Mã số thuế,{B_ID},{B_NAME}\n"
)


def licence_lines(number: int, *, until: str, owner_line: str) -> list[str]:
    lines = decision_lines(number, "Về việc cấp giấy phép kinh doanh dịch vụ karaoke", signer="Lê Văn Tám")
    at = lines.index("GIÁM ĐỐC SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH")
    return [*lines[:at], owner_line, f"Giấy phép có giá trị đến ngày {until}.", *lines[at:]]


def cccd_lines(number: str) -> list[str]:
    return [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "CĂN CƯỚC CÔNG DÂN",
        f"Số định danh cá nhân: {number}",
        f"Họ và tên: {A_NAME}",
    ]


def rescan(path: Path, lines: list[str]) -> Path:
    """The same paper scanned again: the same text, other bytes (a speck where the glass was dusty)."""
    make_scan(path, lines)
    with Image.open(path) as page:
        page.load()
        page.putpixel((5, 5), 0)
        page.save(path, dpi=(200, 200))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def office(request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    settings.ocr_engine = "tests.api.web.engines:qr_text_engine"
    if request.param == "postgresql":
        settings.database_url = request.getfixturevalue("pg_url")
    # the CLI opens its own runtime on the same catalogue and store
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", settings.ocr_engine)
    if settings.database_url:
        monkeypatch.setenv("SOHOA_DATABASE_URL", settings.database_url)
    rt = open_runtime(settings)
    try:
        yield rt
    finally:
        rt.close()


@pytest.fixture
def keys(office: Runtime) -> dict[str, str]:
    return tokens_by_role(office)


@pytest.fixture
def api(office: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime=office)) as client:
        yield client


def _wait(rt: Runtime) -> None:
    assert isinstance(rt.queue, InProcessQueue)
    rt.queue.join()


def _import_register(api: TestClient, token: str) -> None:
    """The dossiers of ``REGISTER``, imported over the API; every row taken."""
    imported = api.post(
        "/api/v1/register/import", headers=auth(token), files={"file": ("register.csv", REGISTER.encode(), "text/csv")}
    )
    assert imported.status_code == 200 and imported.json()["errors"] == [], imported.text


def _upload(api: TestClient, token: str, scan: Path, **fields: str) -> dict:
    with scan.open("rb") as fh:
        answer = api.post(
            "/api/v1/uploads",
            headers=auth(token),
            data={"procedure_code": PROCEDURE, **fields},
            files=[("files", (scan.name, fh, "image/png"))],
        )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _state(api: TestClient, token: str, doc_id: str) -> dict:
    answer = api.get(f"/api/v1/documents/{doc_id}", headers=auth(token))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _objects(rt: Runtime) -> int:
    return sum(1 for _ in rt.store.list(""))


def _events(rt: Runtime, action: str) -> list[EventRecord]:
    with rt.db.session() as session:
        return list(session.scalars(select(EventRecord).where(EventRecord.action == action)))


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_owners_papers_are_reused_not_asked_for_again(
    office: Runtime, api: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    uploader, reviewer, archivist = keys["uploader"], keys["reviewer"], keys["archivist"]
    _import_register(api, archivist)

    # 1. a component and a result licence of owner A into D1; both archive
    copy = _upload(
        api, uploader, make_scan(tmp_path / "cccd.png", cccd_lines(A_ID)), dossier_code=D1, role="component",
        component=CCCD_COPY,
    )  # fmt: skip
    licence_text = licence_lines(11, until="31 tháng 12 năm 2099", owner_line=f"Cấp cho ông {A_NAME}, CCCD số {A_ID}")
    licence = _upload(api, uploader, make_scan(tmp_path / "licence.png", licence_text), dossier_code=D1)
    owner_b = _upload(
        api, uploader,
        make_scan(tmp_path / "b.png", licence_lines(12, until="31/12/2099", owner_line=f"Mã số doanh nghiệp: {B_ID}")),
        dossier_code=D3,
    )  # fmt: skip
    expired = _upload(
        api, uploader,
        make_scan(tmp_path / "old.png", licence_lines(13, until="31/12/2020", owner_line=f"CCCD số {A_ID}")),
        dossier_code=D1,
    )  # fmt: skip
    _wait(office)
    copy_id, licence_id = copy["documents"][0]["id"], licence["documents"][0]["id"]
    b_id, expired_id = owner_b["documents"][0]["id"], expired["documents"][0]["id"]
    for doc_id in (copy_id, licence_id, b_id, expired_id):
        assert _state(api, reviewer, doc_id)["state"] == "archived"

    # 2. A's store lists both, reusable; the expired licence is listed but not reusable
    store = api.get(f"/api/v1/owners/cccd/{A_ID}/documents", headers=auth(reviewer))
    assert store.status_code == 200, store.text
    body = store.json()
    assert body["owner"] == {"id_type": "cccd", "id_number": A_ID, "name": A_NAME}
    listed = {d["id"]: d for d in body["documents"]}
    assert set(listed) == {copy_id, licence_id, expired_id}
    assert listed[copy_id]["role"] == "component" and listed[copy_id]["component"] == CCCD_COPY
    assert listed[licence_id]["role"] == "result" and listed[licence_id]["dossier_code"] == D1
    assert listed[licence_id]["valid_until"] == "2099-12-31" and listed[licence_id]["reusable"] is True
    assert listed[copy_id]["reusable"] is True
    assert listed[expired_id]["valid_until"] == "2020-12-31" and listed[expired_id]["reusable"] is False
    assert listed[licence_id]["number_symbol"] == "11/QĐ-SVHTTDL"
    assert len(_events(office, "owner.store_viewed")) == 1

    # A's new dossier D2, by hand
    made = api.post(
        "/api/v1/dossiers",
        headers=auth(uploader),
        json={"code": D2, "procedure_code": PROCEDURE, "owner_id_type": "cccd", "owner_id": A_ID, "owner_name": A_NAME},
    )
    assert made.status_code == 201, made.text
    assert made.json()["owner"]["id_number"] == "001*******89"  # the uploader sees it masked

    # reusing the licence in D2: no new object, one document.reused event, D2 shows it
    before = _objects(office)
    reused = api.post(
        f"/api/v1/dossiers/{D2}/components",
        headers=auth(uploader),
        json={"document_id": licence_id, "component": "Giấy phép kinh doanh karaoke"},
    )
    assert reused.status_code == 201, reused.text
    answer = reused.json()
    assert answer["dossier_code"] == D2 and answer["document_id"] == licence_id
    assert answer["component"] == "Giấy phép kinh doanh karaoke"
    assert _objects(office) == before
    events = _events(office, "document.reused")
    assert [(e.id, e.document_id, e.details["dossier_code"]) for e in events] == [(answer["event_id"], licence_id, D2)]
    d2 = api.get(f"/api/v1/dossiers/{D2}", headers=auth(uploader)).json()
    assert [(d["id"], d["role"], d["origin"]) for d in d2["documents"]] == [(licence_id, "component", "reused")]

    # 3. a rescan of the licence (other bytes) as a component of D2: the same paper, offered, counted
    again = _upload(
        api, uploader, rescan(tmp_path / "licence-again.png", licence_text), dossier_code=D2, role="component",
        component="Giấy phép kinh doanh karaoke",
    )  # fmt: skip
    again_doc = again["documents"][0]
    assert again_doc["duplicate_of"] is None
    _wait(office)
    state = _state(api, reviewer, again_doc["id"])
    assert state["state"] == "needs_review" and "same_as_archived" in state["review_reasons"]
    d2 = api.get(f"/api/v1/dossiers/{D2}", headers=auth(uploader)).json()
    offered = {d["id"]: d["same_as"] for d in d2["documents"]}
    assert offered[again_doc["id"]] == licence_id
    assert d2["resubmitted"] == 1
    # the very same bytes again: intake says duplicate_of, and it is counted too
    same = _upload(api, uploader, tmp_path / "cccd.png", dossier_code=D2, role="component", component=CCCD_COPY)[
        "documents"
    ][0]
    assert same["duplicate_of"] == copy_id
    assert api.get(f"/api/v1/dossiers/{D2}", headers=auth(uploader)).json()["resubmitted"] == 2

    # 4. refusals: another owner's paper, an expired one, a superseded one, a closed dossier, bad shapes
    def refused(doc_id: str, code: str = D2) -> tuple[int, str]:
        answer = api.post(
            f"/api/v1/dossiers/{code}/components",
            headers=auth(uploader),
            json={"document_id": doc_id, "component": "Giấy phép"},
        )
        return answer.status_code, answer.json()["code"]

    assert refused(b_id) == (409, "owner_mismatch")
    assert refused(expired_id) == (409, "expired")
    assert refused(again_doc["id"]) == (409, "not_archived")  # A's, but still waiting for review
    scan = make_scan(
        tmp_path / "licence-fixed.png", licence_lines(14, until="31/12/2099", owner_line=f"CCCD số {A_ID}")
    )
    with scan.open("rb") as fh:
        supersede_document(office, copy_id, IncomingFile(scan.name, fh), reason="bản sao rõ hơn", actor="u-reviewer")
    _wait(office)
    assert refused(copy_id) == (409, "superseded")
    bad = api.post(
        "/api/v1/dossiers/HS-2025-1/components",
        headers=auth(uploader),
        json={"document_id": licence_id, "component": "Giấy phép"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_dossier_code"
    assert "<agency code>-<yymmdd>-<4+ digit sequence>" in bad.json()["message"]
    bad = api.get("/api/v1/owners/cccd/003085012389/documents", headers=auth(uploader))
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_owner_id"
    assert "12 digits" in bad.json()["details"]["expected"] and "003085012389" not in bad.text
    with (tmp_path / "cccd.png").open("rb") as fh:
        bad = api.post(
            "/api/v1/uploads",
            headers=auth(uploader),
            data={"procedure_code": PROCEDURE, "dossier_code": D2, "owner_id_type": "cccd", "owner_id": "12345"},
            files=[("files", ("x.png", fh, "image/png"))],
        )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_owner_id"

    # the CLI: the owner's store, a reuse and its refusal
    code, out, err = _cli("owners", "show", "cccd", A_ID, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["owner"]["id_number"] == A_ID
    cli_listed = {d["id"]: d for d in shown["documents"]}
    # the API (to a role holding owner_data) and the CLI answer the same store
    assert api.get(f"/api/v1/owners/cccd/{A_ID}/documents", headers=auth(reviewer)).json() == shown
    assert cli_listed[licence_id]["reusable"] is True and cli_listed[copy_id]["reusable"] is False
    code, out, err = _cli("dossiers", "reuse", D2, b_id, "--component", "Giấy phép", "--json")
    assert code == 1 and "owner_mismatch" in err
    api.post(f"/api/v1/dossiers/{D2}/close", headers=auth(uploader)).raise_for_status()
    assert refused(expired_id) == (409, "dossier_closed")
    code, out, err = _cli("dossiers", "reuse", D1, licence_id, "--component", "Giấy phép cũ", "--json")
    assert code == 1 and "already_in_dossier" in err
    assert len(_events(office, "owner.store_viewed")) == 3  # two lookups over the API, one by the CLI

    # the refusals were audited, and no event or answer carried A's full number to the uploader
    with office.db.session() as session:
        refusals = session.scalar(
            select(func.count()).select_from(EventRecord).where(EventRecord.action == "document.reuse_refused")
        )
        texts = [json.dumps(e.details, ensure_ascii=False) for e in session.scalars(select(EventRecord))]
    assert refusals == 7
    assert not [t for t in texts if A_ID in t]


def test_a_printed_owner_other_than_the_dossiers_sends_to_review(
    office: Runtime, api: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    _import_register(api, keys["archivist"])
    other = _upload(
        api, keys["uploader"], make_scan(tmp_path / "other.png", cccd_lines("079185000123")), dossier_code=D1,
        role="component", component=CCCD_COPY,
    )["documents"][0]  # fmt: skip
    _wait(office)
    state = _state(api, keys["reviewer"], other["id"])
    assert state["state"] == "needs_review" and "owner_mismatch_printed" in state["review_reasons"]

    # the number read, with its confidence: masked for the uploader, whole for the reviewer
    def printed(role: str) -> list[dict]:
        body = api.get(f"/api/v1/dossiers/{D1}", headers=auth(keys[role])).json()
        return next(d["printed_owners"] for d in body["documents"] if d["id"] == other["id"])

    assert [(p["id_type"], p["id_number"]) for p in printed("uploader")] == [("cccd", "079*******23")]
    assert [p["id_number"] for p in printed("reviewer")] == ["079185000123"]
    assert 0.6 < printed("reviewer")[0]["confidence"] <= 0.95


def test_exports_mask_owners_for_roles_without_owner_data(
    office: Runtime, api: TestClient, keys: dict[str, str]
) -> None:
    _import_register(api, keys["archivist"])

    def missing_csv(role: str) -> str:
        answer = api.get(
            "/api/v1/reports",
            params={"period": "2025-03", "format": "csv", "table": "missing"},
            headers=auth(keys[role]),
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    def workbook_cells(role: str) -> list[object]:
        answer = api.get("/api/v1/reports", params={"period": "2025-03", "format": "xlsx"}, headers=auth(keys[role]))
        assert answer.status_code == 200, answer.text
        sheet = load_workbook(io.BytesIO(answer.content))["Hồ sơ còn thiếu"]
        return [cell for row in sheet.iter_rows(values_only=True) for cell in row]

    # the auditor reads reports but lacks owner_data; the archivist holds it by default
    assert "001*******89" in missing_csv("auditor") and A_ID not in missing_csv("auditor")
    assert "031*****78" in missing_csv("auditor") and B_ID not in missing_csv("auditor")
    assert A_ID in missing_csv("archivist")
    assert "001*******89" in workbook_cells("auditor") and A_ID not in workbook_cells("auditor")
    assert A_ID in workbook_cells("archivist")
    body = api.get("/api/v1/reports", params={"period": "2025-03"}, headers=auth(keys["auditor"])).json()
    assert {m["owner_id"] for m in body["missing"]} == {"001*******89", "031*****78"}
    # the uploader holds neither right: the report is refused, the dossier shows the number masked
    assert api.get("/api/v1/reports", params={"period": "2025-03"}, headers=auth(keys["uploader"])).status_code == 403
    page = api.get(f"/api/v1/dossiers/{D1}", headers=auth(keys["uploader"])).json()
    assert page["owner"]["id_number"] == "001*******89"
    store = api.get(f"/api/v1/owners/cccd/{A_ID}/documents", headers=auth(keys["uploader"]))
    assert store.json()["owner"]["id_number"] == "001*******89" and A_ID not in store.text
    assert A_ID in api.get(f"/api/v1/owners/cccd/{A_ID}/documents", headers=auth(keys["reviewer"])).text
    viewed = _events(office, "owner.store_viewed")
    assert [(e.actor, e.details["id_number"]) for e in viewed] == [
        ("u-uploader", "001*******89"),
        ("u-reviewer", "001*******89"),
    ]
    search = api.get("/api/v1/owners", params={"number": "001"}, headers=auth(keys["uploader"])).json()
    assert search == [{"id_type": "cccd", "id_number": "001*******89", "name": A_NAME}]
    assert _events(office, "owner.searched")[0].details["number"] == "***"


def test_role_and_validity_are_corrected_in_review(office: Runtime, api: TestClient, keys: dict[str, str]) -> None:
    from sohoa.registry.dossiers import Placement, file_in_dossier
    from tests.registry.builders import add_document

    with office.db.session() as session:
        doc = add_document(session, dossier=D1, state=DocumentState.ARCHIVED)
        session.flush()
        file_in_dossier(
            session, doc.id, D1, Placement(owner=parse_owner_id("cccd", A_ID), owner_name=A_NAME),
            procedure_code=None, actor="t",
        )  # fmt: skip
        doc_id = doc.id
    reviewer, uploader = auth(keys["reviewer"]), auth(keys["uploader"])
    path = f"/api/v1/dossiers/{D1}/documents/{doc_id}"
    assert api.patch(path, headers=uploader, json={"role": "component", "component": "Đơn"}).status_code == 403
    missing_name = api.patch(path, headers=reviewer, json={"role": "component"})
    assert missing_name.status_code == 422 and missing_name.json()["code"] == "component_required"
    changed = api.patch(path, headers=reviewer, json={"role": "component", "component": "Đơn đề nghị cấp giấy phép"})
    assert changed.status_code == 200 and changed.json()["role"] == "component"
    assert _events(office, "dossier.role_corrected")[0].details["new"]["component"] == "Đơn đề nghị cấp giấy phép"

    validity = f"/api/v1/documents/{doc_id}/validity"
    backwards = api.put(validity, headers=reviewer, json={"valid_from": "2030-01-01", "valid_until": "2025-01-01"})
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_validity"
    assert api.put(validity, headers=reviewer, json={"valid_until": "2020-06-30"}).json()["valid_until"] == "2020-06-30"
    store = api.get(f"/api/v1/owners/cccd/{A_ID}/documents", headers=reviewer).json()
    assert [(d["id"], d["valid_until"], d["reusable"]) for d in store["documents"]] == [(doc_id, "2020-06-30", False)]
    api.post("/api/v1/dossiers", headers=uploader, json={"code": D2, "owner_id_type": "cccd", "owner_id": A_ID})
    refused = api.post(
        f"/api/v1/dossiers/{D2}/components", headers=uploader, json={"document_id": doc_id, "component": "x"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "expired"

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from sohoa.core.clock import utcnow
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import record_event
from tests.api.conftest import PASSWORD, auth, give_password
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE
from tests.support.pdfs import make_text_image


def test_downloads_logins_and_refusals_are_in_the_audit_log(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    scan = make_text_image(tmp_path / "a.png", ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Giấy phép"])
    body = client.post(
        "/api/v1/uploads",
        headers=auth(tokens["uploader"]),
        files=[("files", ("a.png", scan.read_bytes()))],
        data={"procedure_code": PROCEDURE},
    ).json()
    runtime.queue.join()  # type: ignore[union-attr]
    doc_id = body["documents"][0]["id"]
    assert client.get(f"/api/v1/documents/{doc_id}/original", headers=auth(tokens["archivist"])).status_code == 200
    assert client.get(f"/api/v1/documents/{doc_id}", headers=auth(tokens["uploader"])).status_code == 403
    give_password(runtime, "u-reviewer")
    client.post("/auth/login", data={"username": "u-reviewer", "password": "wrong guess!"})
    client.post("/auth/login", data={"username": "u-reviewer", "password": PASSWORD})
    auditor = auth(tokens["auditor"])

    def page(**params: str) -> list[tuple[str, str]]:
        answer = client.get("/api/v1/audit", params=params, headers=auditor)
        assert answer.status_code == 200, answer.text
        return [(e["actor"], e["action"]) for e in answer.json()["events"]]

    assert page(document_id=doc_id, action="download.*") == [("u-archivist", "download.original")]
    assert page(action="auth.*") == [("u-reviewer", "auth.login"), ("u-reviewer", "auth.login_failed")]
    assert page(actor="u-uploader", action="access.denied") == [("u-uploader", "access.denied")]
    assert page(batch_id=body["batch_id"], action="batch.created") == [("u-uploader", "batch.created")]


def test_time_filters_and_paging(client: TestClient, runtime: Runtime, tokens: dict[str, str]) -> None:
    now = utcnow()
    with runtime.db.session() as session:
        for n in range(5):
            event = record_event(session, actor="worker", action="test.tick", details={"n": n})
            event.at = now - timedelta(days=5 - n)
    auditor = auth(tokens["auditor"])
    since = (now - timedelta(days=3, hours=1)).isoformat()
    until = (now - timedelta(days=1, hours=1)).isoformat()
    answer = client.get(
        "/api/v1/audit", params={"action": "test.tick", "since": since, "until": until}, headers=auditor
    )
    assert [e["details"]["n"] for e in answer.json()["events"]] == [3, 2]
    first = client.get("/api/v1/audit", params={"actor": "worker", "limit": 3}, headers=auditor).json()
    second = client.get("/api/v1/audit", params={"actor": "worker", "limit": 3, "offset": 3}, headers=auditor).json()
    assert first["total"] == second["total"] == 5
    assert [e["details"]["n"] for e in first["events"] + second["events"]] == [4, 3, 2, 1, 0]
    # A time without a zone is Vietnam's (UTC+7): seven hours later than the same digits in UTC.
    local = (now + timedelta(hours=7) - timedelta(days=2, hours=12)).replace(tzinfo=None).isoformat()
    later = client.get("/api/v1/audit", params={"action": "test.tick", "since": local}, headers=auditor).json()
    assert [e["details"]["n"] for e in later["events"]] == [4, 3]
    assert client.get("/api/v1/audit", headers=auth(tokens["archivist"])).status_code == 403

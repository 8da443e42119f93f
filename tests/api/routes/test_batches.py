from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sohoa.api.app import create_app
from sohoa.core.domain import DocumentState
from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.accounts import create_token, create_user
from sohoa.storage.catalogue import transition
from tests.api.conftest import auth
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE
from tests.support.pdfs import make_text_image

FAST = {"batch_events_poll": 0.05}


def _sse(text: str) -> list[dict[str, Any]]:
    """The messages of an event stream: id, event and parsed data of each."""
    out = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            if key in {"id", "event", "data"}:
                fields[key] = json.loads(value) if key == "data" else value
        if "event" in fields:
            out.append(fields)
    return out


def _upload(client: TestClient, token: str, tmp_path: Path, names: tuple[str, ...] = ("a.png",)) -> dict[str, Any]:
    files = []
    for n, name in enumerate(names):
        image = make_text_image(tmp_path / name, ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", f"Giấy phép số {n} {name}"])
        files.append(("files", (name, image.read_bytes())))
    files.append(("files", ("junk.pdf", b"%PDF-1.7\n broken")))
    answer = client.post("/api/v1/uploads", headers=auth(token), files=files, data={"procedure_code": PROCEDURE})
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime.settings.model_copy(update=FAST), runtime=runtime)) as test_client:
        yield test_client


def test_events_follow_every_document_to_rest_and_resume(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    body = _upload(client, tokens["uploader"], tmp_path)
    runtime.queue.join()  # type: ignore[union-attr]
    doc_id = body["documents"][0]["id"]
    url = f"/api/v1/batches/{body['batch_id']}/events"
    answer = client.get(url, headers=auth(tokens["uploader"]))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    messages = _sse(answer.text)
    states = [
        m["data"]["to_state"] for m in messages if m["event"] == "document.state" and m["data"]["document_id"] == doc_id
    ]
    logged = client.get(f"/api/v1/documents/{doc_id}/events", headers=auth(tokens["auditor"])).json()
    assert states == [e["to_state"] for e in logged if e["action"] == "document.state"]
    assert states[0] == "received" and states[-1] == "archived" and len(states) > 2
    assert messages[-1]["event"] == "end"
    assert messages[-1]["data"] == {"reason": "resting", "counts": {"archived": 1, "rejected": 1}}
    ids = [int(m["id"]) for m in messages if "id" in m]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # Resuming after the third event gives the rest and nothing before.
    resumed = _sse(client.get(url, headers={**auth(tokens["uploader"]), "Last-Event-ID": str(ids[2])}).text)
    assert [int(m["id"]) for m in resumed if "id" in m] == ids[3:]


def test_events_of_workers_in_other_processes_arrive_by_polling(settings: Settings, tmp_path: Path) -> None:
    rt = open_runtime(settings, with_queue=False)  # nothing runs in this process: a worker elsewhere moves it
    try:
        with rt.db.session() as session:
            token = create_token(session, create_user(session, "chi", "uploader", actor="t"), actor="t")
        with TestClient(create_app(rt.settings.model_copy(update=FAST), runtime=rt)) as client:
            body = _upload(client, token, tmp_path)
            doc_id = body["documents"][0]["id"]

            def worker() -> None:
                time.sleep(0.4)
                with rt.db.session() as session:
                    transition(
                        session,
                        doc_id,
                        expected={DocumentState.RECEIVED},
                        to=DocumentState.FAILED,
                        actor="worker",
                        reason_code="ocr_error",
                    )

            thread = threading.Thread(target=worker)
            started = time.monotonic()
            thread.start()
            answer = client.get(f"/api/v1/batches/{body['batch_id']}/events", headers=auth(token))
            thread.join()
        elapsed = time.monotonic() - started
        messages = _sse(answer.text)
        assert elapsed < 10
        last_state = [m["data"] for m in messages if m["event"] == "document.state"][-1]
        assert (last_state["document_id"], last_state["to_state"], last_state["actor"]) == (doc_id, "failed", "worker")
        assert messages[-1]["data"]["counts"] == {"failed": 1, "rejected": 1}
    finally:
        rt.close()


def test_events_end_after_the_timeout(settings: Settings, tmp_path: Path) -> None:
    rt = open_runtime(settings, with_queue=False)
    try:
        with rt.db.session() as session:
            token = create_token(session, create_user(session, "chi", "uploader", actor="t"), actor="t")
        with TestClient(create_app(rt.settings.model_copy(update=FAST), runtime=rt)) as client:
            body = _upload(client, token, tmp_path)
            started = time.monotonic()
            answer = client.get(f"/api/v1/batches/{body['batch_id']}/events?timeout=0.5", headers=auth(token))
        assert 0.4 < time.monotonic() - started < 5
        end = _sse(answer.text)[-1]
        assert end["event"] == "end" and end["data"] == {"reason": "timeout", "counts": {"received": 1, "rejected": 1}}
    finally:
        rt.close()


def test_uploaders_see_only_their_own_batches(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    with runtime.db.session() as session:
        other = create_token(session, create_user(session, "lan", "uploader", actor="t"), actor="t")
    body = _upload(client, tokens["uploader"], tmp_path)
    runtime.queue.join()  # type: ignore[union-attr]
    for path in (f"/api/v1/batches/{body['batch_id']}", f"/api/v1/batches/{body['batch_id']}/events"):
        hidden = client.get(path, headers=auth(other))
        assert hidden.status_code == 404 and hidden.json()["code"] == "batch_not_found"
        assert client.get(path, headers=auth(tokens["auditor"])).status_code == 200
        assert client.get(path, headers=auth(tokens["metrics"])).status_code == 403
    assert client.get("/api/v1/batches/nope/events", headers=auth(tokens["admin"])).status_code == 404


def test_batch_list_is_newest_first_and_an_uploaders_own(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    with runtime.db.session() as session:
        other = create_token(session, create_user(session, "lan", "uploader", actor="t"), actor="t")
    first = _upload(client, tokens["uploader"], tmp_path, ("a.png",))
    second = _upload(client, other, tmp_path, ("b.png", "c.png"))
    runtime.queue.join()  # type: ignore[union-attr]
    mine = client.get("/api/v1/batches", headers=auth(tokens["uploader"])).json()
    assert [b["batch_id"] for b in mine["batches"]] == [first["batch_id"]] and mine["total"] == 1
    everyone = client.get("/api/v1/batches", headers=auth(tokens["auditor"])).json()
    assert [b["batch_id"] for b in everyone["batches"]] == [second["batch_id"], first["batch_id"]]
    assert everyone["batches"][0]["counts"] == {"archived": 2, "rejected": 1}
    assert everyone["batches"][0]["created_by"] == "lan"


def test_a_batch_reads_as_its_record_with_its_documents_by_name_and_their_counts(
    client: TestClient, runtime: Runtime, tokens: dict[str, str], tmp_path: Path
) -> None:
    body = _upload(client, tokens["uploader"], tmp_path, ("c.png", "a.png"))
    runtime.queue.join()  # type: ignore[union-attr]
    one = client.get(f"/api/v1/batches/{body['batch_id']}", headers=auth(tokens["auditor"])).json()
    summary = {k: v for k, v in one.items() if k != "documents"}
    listed = client.get("/api/v1/batches", headers=auth(tokens["auditor"])).json()["batches"]
    assert listed == [summary]  # the list shows each batch as its own page does, without the documents
    assert set(summary) == {"batch_id", "created_at", "created_by", "procedure_code", "dossier_code", "counts"}
    assert (summary["batch_id"], summary["created_by"]) == (body["batch_id"], "u-uploader")
    assert (summary["procedure_code"], summary["dossier_code"]) == (PROCEDURE, None)
    assert summary["created_at"].endswith("+07:00")  # Vietnam's time, as every answer gives it
    names = [d["filename"] for d in one["documents"]]
    assert names == ["a.png", "c.png", "junk.pdf"]
    assert list(summary["counts"].items()) == [("archived", 2), ("rejected", 1)]  # tallied in that order
    assert one["documents"][0]["sha256"] and one["documents"][0]["received_at"].endswith("+07:00")

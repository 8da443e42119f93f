"""Archive routes: supersede (archivist), lineage, retention, legal holds (admin only), fixity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sohoa.api.errors import install_error_handlers
from sohoa.api.routes import archive
from sohoa.pipeline.fixity import run_fixity
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import RetentionPolicy
from tests.api.conftest import auth
from tests.support.codes import PROCEDURE
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    """The archive router on its own (the lead wires it into create_app)."""
    runtime.store = LocalStore(runtime.settings.store_dir, retention=RetentionPolicy(years=10))
    app = FastAPI()
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(archive.router)
    with TestClient(app) as client:
        yield client


def _scan(tmp_path: Path, number: int) -> Path:
    return make_text_image(tmp_path / f"scan-{number}.png", ["QUYẾT ĐỊNH", f"Số: {number}/QĐ-SVHTTDL"])


@pytest.fixture
def archived(runtime: Runtime, app_client: TestClient, tmp_path: Path) -> str:
    return archive_one(runtime, _scan(tmp_path, 1)).id


def test_archivist_supersedes_and_both_directions_are_visible(
    runtime: Runtime, app_client: TestClient, tokens: dict[str, str], archived: str, tmp_path: Path
) -> None:
    with _scan(tmp_path, 2).open("rb") as fh:
        answer = app_client.post(
            f"/api/v1/documents/{archived}/supersede",
            headers=auth(tokens["archivist"]),
            files={"file": ("corrected.png", fh, "image/png")},
            data={"reason": "sai số quyết định"},
        )
    assert answer.status_code == 201, answer.text
    new_id = answer.json()["new_document_id"]
    assert answer.json()["old_document_id"] == archived
    runtime.queue.join()  # type: ignore[union-attr]
    old = app_client.get(f"/api/v1/documents/{archived}/lineage", headers=auth(tokens["reviewer"])).json()
    new = app_client.get(f"/api/v1/documents/{new_id}/lineage", headers=auth(tokens["auditor"])).json()
    assert old["superseded"] and [link["new_document_id"] for link in old["superseded_by"]] == [new_id]
    assert old["superseded_by"][0]["effective"] and old["superseded_by"][0]["reason"] == "sai số quyết định"
    assert not new["superseded"] and [link["old_document_id"] for link in new["supersedes"]] == [archived]
    with runtime.db.session() as session:
        assert get_document(session, archived).state == "archived"
        assert get_document(session, new_id).procedure_code == PROCEDURE


def test_supersede_needs_the_right_and_a_reason(
    app_client: TestClient, tokens: dict[str, str], archived: str, tmp_path: Path
) -> None:
    url = f"/api/v1/documents/{archived}/supersede"
    with _scan(tmp_path, 2).open("rb") as fh:
        files = {"file": ("c.png", fh.read(), "image/png")}
    refused = app_client.post(url, headers=auth(tokens["uploader"]), files=files, data={"reason": "x"})
    assert refused.status_code == 403
    no_reason = app_client.post(url, headers=auth(tokens["admin"]), files=files)
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "invalid_request")
    blank = app_client.post(url, headers=auth(tokens["admin"]), files=files, data={"reason": " "})
    assert (blank.status_code, blank.json()["code"]) == (422, "reason_required")
    missing = app_client.post(
        "/api/v1/documents/nope/supersede", headers=auth(tokens["admin"]), files=files, data={"reason": "x"}
    )
    assert missing.status_code == 404


def test_legal_hold_is_for_admins_and_audited(
    runtime: Runtime, app_client: TestClient, tokens: dict[str, str], archived: str
) -> None:
    url = f"/api/v1/documents/{archived}"
    for role in ("archivist", "auditor", "reviewer"):
        refused = app_client.post(f"{url}/hold", headers=auth(tokens[role]), json={"reason": "x"})
        assert refused.status_code == 403
    placed = app_client.post(f"{url}/hold", headers=auth(tokens["admin"]), json={"reason": "tranh chấp"})
    assert placed.status_code == 200, placed.text
    assert placed.json()["legal_hold"] and placed.json()["hold_reason"] == "tranh chấp"
    twice = app_client.post(f"{url}/hold", headers=auth(tokens["admin"]), json={"reason": "again"})
    assert (twice.status_code, twice.json()["code"]) == (409, "already_held")
    shown = app_client.get(f"{url}/retention", headers=auth(tokens["auditor"])).json()
    assert shown["legal_hold"] and shown["retention_mode"] == "COMPLIANCE"
    assert int(shown["retain_until"][:4]) >= int(shown["hold_placed_at"][:4]) + 9
    lifted = app_client.post(f"{url}/release", headers=auth(tokens["admin"]), json={"reason": "đã xử lý"})
    assert lifted.status_code == 200 and not lifted.json()["legal_hold"]
    not_held = app_client.post(f"{url}/release", headers=auth(tokens["admin"]), json={"reason": "x"})
    assert (not_held.status_code, not_held.json()["code"]) == (409, "not_held")
    with runtime.db.session() as session:
        events = list_events(session, limit=10_000)
    denied_events = [
        e for e in events if e.action == "access.denied" and e.details and e.details["right"] == "legal_hold"
    ]
    assert {e.actor for e in denied_events} == {"u-archivist", "u-auditor", "u-reviewer"}
    assert [(e.action, e.actor) for e in events if e.action.startswith("archive.")] == [
        ("archive.hold", "u-admin"),
        ("archive.release", "u-admin"),
    ]


def test_fixity_summary(runtime: Runtime, app_client: TestClient, tokens: dict[str, str], archived: str) -> None:
    none_yet = app_client.get("/api/v1/archive/fixity", headers=auth(tokens["auditor"]))
    assert (none_yet.status_code, none_yet.json()["code"]) == (404, "no_fixity_run")
    run_fixity(runtime, actor="auditor1")
    summary = app_client.get("/api/v1/archive/fixity", headers=auth(tokens["auditor"])).json()
    assert summary["ok"] and (summary["checked"], summary["intact"], summary["problems"]) == (1, 1, [])
    assert app_client.get("/api/v1/archive/fixity", headers=auth(tokens["uploader"])).status_code == 403

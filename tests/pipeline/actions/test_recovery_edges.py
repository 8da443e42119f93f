"""Retry through every door: ``POST /api/v1/documents/{id}/retry``, ``sohoa retry`` and the web pages
(the failures list and the document page), each on a document whose signing failed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.cli.main import app as cli
from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.accounts import create_token, create_user
from sohoa.storage.catalogue import get_document, list_events
from tests.api.web.html import read_page
from tests.pipeline.actions.conftest import LINES, person, web
from tests.support.faults import BrokenSigner, broken_signer
from tests.support.flows import ingest_one
from tests.support.pdfs import make_text_image

__all__ = ["broken_signer"]  # the fixture, used by name


@pytest.fixture
def office(runtime: Runtime, tmp_path: Path, cli_on_data_dir: None, broken_signer: BrokenSigner) -> Iterator[dict]:
    """Two documents whose signing failed, a reviewer with a token and a password, the CLI on the same data dir."""
    ids = [ingest_one(runtime, make_text_image(tmp_path / f"scan-{i}.png", [*LINES, f"lần {i}"])) for i in range(2)]
    token = person(runtime, "hoa", Role.REVIEWER)
    with runtime.db.session() as session:
        archivist = create_user(session, "minh", Role.ARCHIVIST, actor="test")
        read_only = create_token(session, archivist, actor="test")
        assert {get_document(session, i).state for i in ids} == {"failed"}
    with TestClient(create_app(runtime=runtime)) as client:
        yield {"client": client, "token": token, "read_only": read_only, "ids": ids, "runtime": runtime}


def _state(rt: Runtime, doc_id: str) -> str:
    with rt.db.session() as session:
        return get_document(session, doc_id).state


def visible_text(html: str) -> str:
    return " ".join(read_page(html).text)


def _web(client: TestClient) -> TestClient:
    return web(client, "hoa")


def test_the_failures_page_lists_them_with_a_reason_in_words_and_a_retry_button(office: dict) -> None:
    page = _web(office["client"]).get("/failures")
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "Lỗi xử lý" in text and "Xử lý lỗi" not in text
    assert "Không ký số được văn bản: khóa ký số từ chối ký." in text
    assert "ở bước ký số" in text
    assert "Lỗi hệ thống" not in text and "signing_failed" not in text
    assert set(re.findall(r'data-retry="([0-9a-f-]{36})"', page.text)) == set(office["ids"])
    assert 'href="/failures"' in _web(office["client"]).get("/review").text  # in the menu
    document_page = office["client"].get(f"/documents/{office['ids'][0]}").text
    assert f'data-retry="{office["ids"][0]}"' in document_page


def test_the_api_retries_and_refuses_what_is_not_failed(office: dict, broken_signer: BrokenSigner) -> None:
    rt: Runtime = office["runtime"]
    doc_id = office["ids"][0]
    client: TestClient = office["client"]
    headers = {"Authorization": f"Bearer {office['token']}"}
    refused = client.post(
        f"/api/v1/documents/{doc_id}/retry", headers={"Authorization": f"Bearer {office['read_only']}"}
    )
    assert refused.status_code == 403
    broken_signer.broken = False
    answer = client.post(f"/api/v1/documents/{doc_id}/retry", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == doc_id and answer.json()["reason_code"] is None
    rt.queue.join()  # type: ignore[union-attr]
    assert _state(rt, doc_id) == "archived"
    again = client.post(f"/api/v1/documents/{doc_id}/retry", headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")
    with rt.db.session() as session:
        retries = [e for e in list_events(session, document_id=doc_id) if (e.details or {}).get("action") == "retry"]
    assert [(e.actor, e.details["via"], e.from_state, e.to_state) for e in retries] == [
        ("hoa", "api", "failed", "extracted")
    ]
    history = _web(client).get(f"/documents/{doc_id}").text
    assert "thử lại từ bước bị lỗi" in visible_text(history)


def test_the_cli_retries_one_or_every_failed_document(office: dict, broken_signer: BrokenSigner) -> None:
    rt: Runtime = office["runtime"]
    first, second = office["ids"]
    still = CliRunner().invoke(cli, ["retry", first, "--json"])
    assert still.exit_code == 1, still.output  # the key is still broken: failed again, and said so
    assert json.loads(still.stdout)[0]["state"] == "failed"
    broken_signer.broken = False
    done = CliRunner().invoke(cli, ["retry", "--state", "failed", "--json"])
    assert done.exit_code == 0, done.output
    rows = json.loads(done.stdout)
    assert {(r["id"], r["resumed_at"], r["state"]) for r in rows} == {
        (first, "sign", "archived"),
        (second, "sign", "archived"),
    }
    assert _state(rt, first) == _state(rt, second) == "archived"
    none_left = CliRunner().invoke(cli, ["retry", first])
    assert none_left.exit_code == 4 and "invalid_state" in none_left.output
    both = CliRunner().invoke(cli, ["retry", first, "--state", "failed"])
    assert both.exit_code == 2

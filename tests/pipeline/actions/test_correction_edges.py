"""Correcting an archived record through every door: ``PATCH /api/v1/documents/{id}/metadata``,
``sohoa review set`` and the web's document page, which shows the history with old and new values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.cli.main import app as cli
from sohoa.core.domain import Role
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import list_events
from tests.api.web.html import read_page
from tests.pipeline.actions.conftest import LINES, person, web
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image


@pytest.fixture
def office(runtime: Runtime, tmp_path: Path, cli_on_data_dir: None) -> Iterator[dict]:
    doc = archive_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    token = person(runtime, "hoa", Role.REVIEWER)
    with TestClient(create_app(runtime=runtime)) as client:
        yield {"client": client, "token": token, "doc": doc, "runtime": runtime}


def test_every_door_corrects_the_catalogue_and_the_page_shows_old_and_new(office: dict) -> None:
    rt: Runtime = office["runtime"]
    doc = office["doc"]
    client: TestClient = office["client"]
    with rt.store.open(doc.archive_key) as fh:
        signed = fh.read()
    api = client.patch(
        f"/api/v1/documents/{doc.id}/metadata",
        json={"issued_date": "2025-03-12"},
        headers={"Authorization": f"Bearer {office['token']}"},
    )
    assert api.status_code == 200, api.text
    assert (api.json()["state"], api.json()["metadata"]["issued_date"]) == ("archived", "2025-03-12")
    done = CliRunner().invoke(cli, ["review", "set", doc.id, "signer_name=Trần Thị Bình"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["metadata"]["signer_name"] == "Trần Thị Bình"
    refused = client.patch(
        f"/api/v1/documents/{doc.id}/metadata",
        json={"procedure_code": "2.000123"},
        headers={"Authorization": f"Bearer {office['token']}"},
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "archived_filing")
    with rt.store.open(doc.archive_key) as fh:
        assert fh.read() == signed  # the signed file is what was signed
    with rt.db.session() as session:
        fields = [
            e.details["field"] for e in list_events(session, document_id=doc.id) if e.action == "metadata.corrected"
        ]
    assert fields == ["issued_date", "signer_name"]
    text = " ".join(read_page(web(client, "hoa").get(f"/documents/{doc.id}").text).text)
    assert "→ 12/03/2025" in text  # the new day as people here write it, after the old one
    assert "→ Trần Thị Bình" in text

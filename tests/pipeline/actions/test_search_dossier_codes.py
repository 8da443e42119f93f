"""A search by dossier code takes the code as every other door does (upload, ``dossiers show``): a
code not of the one-stop shape, lower case included, is refused with ``invalid_dossier_code``
through the API, the web page and the CLI alike, instead of finding nothing."""

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
from tests.pipeline.actions.conftest import LINES, person, web
from tests.support.codes import DOSSIER
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image

LOWER = DOSSIER.lower()  # 000.00.32.h19-250312-0017
MALFORMED = ("000.00.32.H19-250312", "000.00.32.H19-251341-0017", "HS-0017")


@pytest.fixture
def office(runtime: Runtime, tmp_path: Path, cli_on_data_dir: None) -> Iterator[dict]:
    """One archived document in ``DOSSIER``, a reader with a token and a password, the CLI on the same data."""
    doc_id = archive_one(runtime, make_text_image(tmp_path / "scan.png", LINES), dossier_code=DOSSIER).id
    token = person(runtime, "chi", Role.ARCHIVIST)
    with TestClient(create_app(runtime=runtime)) as client:
        yield {"client": client, "headers": {"Authorization": f"Bearer {token}"}, "id": doc_id}


def test_the_code_as_issued_finds_its_documents_through_every_door(office: dict) -> None:
    api = office["client"].get("/api/v1/search", params={"dossier_code": f" {DOSSIER} "}, headers=office["headers"])
    assert api.status_code == 200 and [r["id"] for r in api.json()["results"]] == [office["id"]]
    done = CliRunner().invoke(cli, ["search", "--dossier", DOSSIER, "--json"])
    assert done.exit_code == 0, done.output
    assert [r["id"] for r in json.loads(done.stdout)] == [office["id"]]
    page = web(office["client"], "chi").get("/search", params={"dossier_code": DOSSIER}).text
    assert set(re.findall(r"/documents/([0-9a-f-]{36})", page)) == {office["id"]}


@pytest.mark.parametrize("code", [LOWER, *MALFORMED])
def test_a_code_not_of_the_one_stop_shape_is_refused_through_every_door(office: dict, code: str) -> None:
    api = office["client"].get("/api/v1/search", params={"dossier_code": code}, headers=office["headers"])
    assert api.status_code == 422, api.text
    assert api.json()["code"] == "invalid_dossier_code"

    done = CliRunner().invoke(cli, ["search", "--dossier", code, "--json"])
    assert done.exit_code == 2, done.output
    assert "invalid_dossier_code" in done.stderr and "Traceback" not in done.output
    assert done.stdout == ""  # no empty list that reads as "nothing filed under it"
    # ``dossiers show`` answers the same code the same way.
    shown = CliRunner().invoke(cli, ["dossiers", "show", code])
    assert shown.exit_code == 2 and "invalid_dossier_code" in shown.stderr

    page = web(office["client"], "chi").get("/search", params={"dossier_code": code})
    assert "Mã hồ sơ không hợp lệ / invalid dossier code" in page.text
    assert not re.findall(r"/documents/([0-9a-f-]{36})", page.text)

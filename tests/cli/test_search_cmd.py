"""``sohoa search`` over documents put straight into the embedded catalogue."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.api.routes import search as search_routes
from sohoa.cli.search_cmds import register
from sohoa.core.domain import Role
from sohoa.core.settings import Settings
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.accounts import create_token, create_user
from sohoa.storage.database import Database
from tests.storage.test_search import BY_NAME, SAMPLE, add_documents, occurrences

REQUIRED = {"id", "state", "procedure_code", "dossier_code", "archive_key", "snippet", "score", "metadata"}


@pytest.fixture
def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    """A command line with ``search`` registered, on the sample documents in the embedded catalogue."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.db_url)
    add_documents(db, SAMPLE)
    db.dispose()
    cli = typer.Typer()
    cli.callback()(lambda: None)  # keep "search" a subcommand, as in the real app
    register(cli)
    yield cli


def run(app: typer.Typer, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["search", *args])
    assert result.exit_code == code, (result.exit_code, result.output)
    return result.stdout


def test_json_lists_documents_best_first(app: typer.Typer) -> None:
    rows = json.loads(run(app, "--text", "quyết định karaoke", "--json"))
    assert [r["filename"] for r in rows] == ["ho-so-dai-5e7a.pdf", "qd-12-2024.pdf", "rieng-le.pdf"]
    assert all(row.keys() >= REQUIRED for row in rows)
    assert rows[0]["score"] >= rows[1]["score"] >= rows[2]["score"] > 0
    snippet = rows[1]["snippet"]
    assert [snippet["text"][a:b] for a, b in snippet["highlights"]] == ["QUYẾT", "ĐỊNH", "karaoke"]
    assert json.loads(run(app, "--procedure", "1.009999", "--json")) == []
    assert json.loads(run(app, "--text", "khong co", "--json")) == []


def test_filters_and_paging(app: typer.Typer) -> None:
    found = json.loads(run(app, "--procedure", "1.001029", "--signed", "--issuer", "ha giang", "--json"))
    assert {r["filename"] for r in found} == {"qd-12-2024.pdf", "ho-so-dai-5e7a.pdf"}
    assert all(r["score"] is None and r["snippet"] is None for r in found)
    unsigned = json.loads(run(app, "--unsigned", "--state", "needs_review", "--json"))
    assert [r["filename"] for r in unsigned] == ["gp-bieu-dien.pdf"]
    dated = run(app, "--type", "QĐ", "--issued-from", "2022-01-01", "--issued-to", "2022-12-31", "--json")
    assert [r["filename"] for r in json.loads(dated)] == ["dang-ky.pdf"]
    received = run(app, "--received-from", "2024-01-02", "--received-to", "2024-01-02", "--json")
    assert [r["filename"] for r in json.loads(received)] == ["gp-bieu-dien.pdf"]
    assert [r["filename"] for r in json.loads(run(app, "--number", "5/TB-SVHTTDL", "--json"))] == ["tb-5.pdf"]
    everything = json.loads(run(app, "--text", "karaoke", "--json"))
    paged = json.loads(run(app, "--text", "karaoke", "--limit", "2", "--offset", "2", "--json"))
    assert paged == everything[2:4]


def test_json_is_what_the_api_answers(app: typer.Typer, settings: Settings) -> None:
    rt = open_runtime(settings)
    try:
        with rt.db.session() as session:
            token = create_token(session, create_user(session, "lan", Role.ARCHIVIST, actor="test"), actor="test")
        web = create_app(runtime=rt)
        if not any(getattr(route, "path", None) == "/api/v1/search" for route in web.routes):
            web.include_router(search_routes.router)  # until create_app includes it
        with TestClient(web) as client:
            for args, params in (
                (["--text", "karaoke kinh doanh"], {"text": "karaoke kinh doanh"}),
                (["--procedure", "1.001029", "--limit", "2"], {"procedure_code": "1.001029", "limit": 2}),
                (["--text", '"quyet dinh"', "--issuer", "ha giang"], {"text": '"quyet dinh"', "issuer": "ha giang"}),
            ):
                api: dict[str, Any] = client.get(
                    "/api/v1/search", params=params, headers={"Authorization": f"Bearer {token}"}
                ).json()
                assert json.loads(run(app, *args, "--json")) == api["results"] and api["results"], args
    finally:
        rt.close()


def test_people_read_lines_with_marked_matches(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["search", "--text", "dang ky"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    score = occurrences(BY_NAME["dang-ky.pdf"], "dang") + occurrences(BY_NAME["dang-ky.pdf"], "ky")
    assert lines[0].split()[1:3] == ["failed", "2.000123"] and lines[0].endswith(f"dang-ky.pdf  [{score}]")
    assert "«đăng ký»" not in lines[1] and "«Đăng» «ký»" in lines[1]
    assert "1-1 of 1 documents" in result.stderr


def test_bad_input_exits_with_the_error_code(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["search", "--state", "lost"])
    assert result.exit_code == 2 and "invalid_state" in result.stderr
    result = CliRunner().invoke(app, ["search", "--issued-from", "05/03/2024"])
    assert result.exit_code == 2 and "invalid_date" in result.stderr
    result = CliRunner().invoke(app, ["search", "--text", "?!"])
    assert result.exit_code == 2 and "invalid_query" in result.stderr and "Traceback" not in result.output

"""Legal holds and retention dates of archived documents, through the catalogue and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.archive_cmds import register
from sohoa.core.errors import Conflict, InputRejected
from sohoa.core.settings import Settings
from sohoa.pipeline.retention import archive_protection, place_hold, record_retention, release_hold
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.archive_records import LegalHoldRecord, RetentionRecord, active_hold
from sohoa.storage.catalogue import list_events
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import RetentionPolicy
from tests.support.codes import SECOND_PROCEDURE as PROCEDURE
from tests.support.flows import ingest_one
from tests.support.pdfs import make_text_image

POLICY = RetentionPolicy(years=10, overrides={"1.001029": 20})


def _archived(rt: Runtime, tmp_path: Path) -> str:
    scan = make_text_image(tmp_path / "scan.png", ["QUYẾT ĐỊNH", "Số: 7/QĐ"])
    return ingest_one(rt, scan, procedure_code=PROCEDURE)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    runtime.store = LocalStore(settings.store_dir, retention=POLICY)
    try:
        yield runtime
    finally:
        runtime.close()


def test_hold_and_release_are_recorded_and_audited(rt: Runtime, tmp_path: Path) -> None:
    doc_id = _archived(rt, tmp_path)
    held = place_hold(rt, doc_id, reason="thanh tra", actor="admin")
    assert held.legal_hold and held.hold_reason == "thanh tra" and held.hold_placed_by == "admin"
    key = held.archive_key
    assert rt.store.lock_status(key.removesuffix(".pdf") + ".json").legal_hold  # type: ignore[attr-defined]
    with pytest.raises(Conflict) as twice:
        place_hold(rt, doc_id, reason="again", actor="admin")
    assert twice.value.code == "already_held"
    with pytest.raises(InputRejected):
        release_hold(rt, doc_id, reason="", actor="admin")
    released = release_hold(rt, doc_id, reason="xong", actor="admin2")
    assert not released.legal_hold and released.hold_reason is None
    assert not rt.store.lock_status(key).legal_hold  # type: ignore[attr-defined]
    with pytest.raises(Conflict) as not_held:
        release_hold(rt, doc_id, reason="xong", actor="admin2")
    assert not_held.value.code == "not_held"
    with rt.db.session() as session:
        rows = session.query(LegalHoldRecord).all()
        actions = [(e.action, e.actor) for e in list_events(session, document_id=doc_id) if e.action.startswith("arch")]
        assert active_hold(session, doc_id) is None
    assert [(r.placed_by, r.released_by, r.release_reason) for r in rows] == [("admin", "admin2", "xong")]
    assert actions == [("archive.hold", "admin"), ("archive.release", "admin2")]


def test_retention_follows_the_procedure_and_is_recorded(rt: Runtime, tmp_path: Path) -> None:
    doc_id = _archived(rt, tmp_path)
    protection = archive_protection(rt, doc_id)
    assert protection.mode == "COMPLIANCE" and protection.retain_until is not None
    with rt.db.session() as session:
        row = record_retention(session, rt.store, doc_id, protection.archive_key)
        record_retention(session, rt.store, doc_id, protection.archive_key)  # repeating is harmless
        assert session.query(RetentionRecord).count() == 1
    assert row.retain_until == protection.retain_until
    assert protection.retain_until.year - row.recorded_at.year in (19, 20)  # the 1.001029 override


def test_only_archived_documents_are_held(settings: Settings, tmp_path: Path) -> None:
    settings.review_policy = "always"
    runtime = open_runtime(settings)
    try:
        doc_id = _archived(runtime, tmp_path)
        with pytest.raises(Conflict) as refused:
            place_hold(runtime, doc_id, reason="x", actor="admin")
    finally:
        runtime.close()
    assert refused.value.code == "not_archived"


def test_cli_hold_show_release(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = open_runtime(settings)
    try:
        doc_id = _archived(runtime, tmp_path)
    finally:
        runtime.close()
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    placed = runner.invoke(app, ["archive", "hold", doc_id, "--reason", "kiểm toán"])
    assert placed.exit_code == 0, placed.output
    shown = runner.invoke(app, ["archive", "show", doc_id, "--json"])
    assert shown.exit_code == 0, shown.output
    answer = json.loads(shown.stdout)
    assert answer["legal_hold"] and answer["hold_reason"] == "kiểm toán"
    assert answer["lineage"] == {"document_id": doc_id, "superseded": False, "supersedes": [], "superseded_by": []}
    assert runner.invoke(app, ["archive", "release", doc_id]).exit_code == 0
    assert "legal hold: off" in runner.invoke(app, ["archive", "show", doc_id]).stdout
    assert runner.invoke(app, ["archive", "release", doc_id]).exit_code == 4  # not held any more
    assert runner.invoke(app, ["archive", "hold", "no-such-document"]).exit_code == 3

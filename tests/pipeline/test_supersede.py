"""Correcting an archived record: a new document supersedes it, both stay archived, lineage both ways."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select
from typer.testing import CliRunner

from sohoa.cli.archive_cmds import register
from sohoa.core.domain import DocumentState
from sohoa.core.errors import Conflict, InputRejected, StorageError
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import IncomingFile, accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.supersede import read_lineage, supersede_document
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.archive_records import is_superseded, superseded_by, superseded_ids
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.localstore import LocalStore
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.records import DocumentRecord
from tests.support.codes import DOSSIER, PROCEDURE
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image


def _scan(tmp_path: Path, name: str, number: str) -> Path:
    lines = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", f"Số: {number}/QĐ-SVHTTDL", "QUYẾT ĐỊNH"]
    return make_text_image(tmp_path / name, lines)


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = open_runtime(settings)
    runtime.store = LocalStore(settings.store_dir, retention=RetentionPolicy(10))
    try:
        yield runtime
    finally:
        runtime.close()


def _archived(rt: Runtime, scan: Path) -> DocumentRecord:
    return archive_one(rt, scan, dossier_code=DOSSIER)


def _supersede(rt: Runtime, old_id: str, scan: Path, reason: str = "sai số quyết định") -> str:
    with scan.open("rb") as fh:
        result = supersede_document(rt, old_id, IncomingFile(scan.name, fh), reason=reason, actor="archivist1")
    rt.queue.join()  # type: ignore[union-attr]
    return result.new_document_id


def test_supersede_archives_a_new_record_and_keeps_the_old(rt: Runtime, tmp_path: Path) -> None:
    old = _archived(rt, _scan(tmp_path, "a.png", "15"))
    old_bytes = rt.store.stat(old.archive_key or "")
    new_id = _supersede(rt, old.id, _scan(tmp_path, "a-corrected.png", "16"))

    with rt.db.session() as session:
        new = get_document(session, new_id)
        kept = get_document(session, old.id)
        assert new.state == DocumentState.ARCHIVED
        assert (new.procedure_code, new.dossier_code) == (PROCEDURE, DOSSIER)
        assert kept.state == DocumentState.ARCHIVED and kept.archive_key == old.archive_key
        assert is_superseded(session, old.id) and not is_superseded(session, new_id)
        assert superseded_by(session, old.id) == new_id
        assert set(session.scalars(superseded_ids())) == {old.id}
        current = session.scalars(select(DocumentRecord.id).where(DocumentRecord.id.not_in(superseded_ids())))
        assert set(current) == {new_id}
        back = read_lineage(session, new_id)
        forward = read_lineage(session, old.id)
        old_actions = [e.action for e in list_events(session, document_id=old.id)]
        new_actions = [e.action for e in list_events(session, document_id=new_id)]
    # The old record is untouched in the store, still retained.
    assert rt.store.stat(old.archive_key or "") == old_bytes
    assert rt.store.lock_status(old.archive_key or "").mode == "COMPLIANCE"  # type: ignore[attr-defined]
    assert forward.superseded and [link.new_document_id for link in forward.superseded_by] == [new_id]
    assert not back.superseded and [link.old_document_id for link in back.supersedes] == [old.id]
    assert back.supersedes[0].reason == "sai số quyết định" and back.supersedes[0].actor == "archivist1"
    assert "document.superseded" in old_actions and "document.supersedes" in new_actions


def test_lineage_is_archived_beside_the_new_record(rt: Runtime, tmp_path: Path) -> None:
    old = _archived(rt, _scan(tmp_path, "a.png", "15"))
    new_id = _supersede(rt, old.id, _scan(tmp_path, "b.png", "16"), reason="thiếu chữ ký")
    with rt.db.session() as session:
        new = get_document(session, new_id)
    key = f"archive/{PROCEDURE}/{new.received_at.year}/{new_id}.lineage.json"
    with rt.store.open(key) as fh:
        record = json.loads(fh.read())
    assert (record["document_id"], record["supersedes"], record["reason"]) == (new_id, old.id, "thiếu chữ ký")
    assert rt.store.stat(key).metadata == {"document_id": new_id, "supersedes": old.id}


def test_chain_of_corrections(rt: Runtime, tmp_path: Path) -> None:
    first = _archived(rt, _scan(tmp_path, "1.png", "1"))
    second = _supersede(rt, first.id, _scan(tmp_path, "2.png", "2"))
    with pytest.raises(Conflict) as refused:
        _supersede(rt, first.id, _scan(tmp_path, "2b.png", "22"))
    assert refused.value.code == "already_superseded"
    assert refused.value.details["superseded_by"] == second
    third = _supersede(rt, second, _scan(tmp_path, "3.png", "3"))
    with rt.db.session() as session:
        middle = read_lineage(session, second)
        start = read_lineage(session, first.id)
        end = read_lineage(session, third)
    assert [link.old_document_id for link in middle.supersedes] == [first.id]
    assert [link.new_document_id for link in middle.superseded_by] == [third]
    assert [link.new_document_id for link in start.superseded_by] == [second, third]
    assert [link.old_document_id for link in end.supersedes] == [second, first.id]


def test_refused_corrections_leave_the_record_current(rt: Runtime, tmp_path: Path) -> None:
    scan = _scan(tmp_path, "a.png", "15")
    old = _archived(rt, scan)
    with pytest.raises(InputRejected) as no_reason:
        _supersede(rt, old.id, _scan(tmp_path, "b.png", "16"), reason="  ")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(Conflict) as duplicate:
        _supersede(rt, old.id, scan)
    assert (duplicate.value.code, duplicate.value.details["duplicate_of"]) == ("duplicate_input", old.id)
    with pytest.raises(InputRejected) as empty:
        supersede_document(rt, old.id, IncomingFile("empty.pdf", io.BytesIO(b"")), reason="r", actor="a")
    assert empty.value.code == "empty_file"
    with rt.db.session() as session:
        assert not is_superseded(session, old.id)
        assert read_lineage(session, old.id).superseded_by == ()


def test_a_store_failure_is_not_answered_as_a_refused_file(
    rt: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _archived(rt, _scan(tmp_path, "a.png", "17"))

    def broken(*args: object, **kwargs: object) -> None:
        raise StorageError("the store did not answer")

    monkeypatch.setattr(rt.store, "put_file", broken)
    with pytest.raises(StorageError) as failed:
        _supersede(rt, old.id, _scan(tmp_path, "b.png", "18"))
    # a fault of the server (500 on the API, worth trying again), not bad input (422)
    assert not isinstance(failed.value, InputRejected) and failed.value.retryable
    with rt.db.session() as session:
        assert not is_superseded(session, old.id)


def test_only_archived_records_can_be_superseded(settings: Settings, tmp_path: Path) -> None:
    settings.review_policy = "always"
    runtime = open_runtime(settings)
    try:
        result = accept_paths(runtime, [_scan(tmp_path, "a.png", "15")], procedure_code=PROCEDURE, actor="t")
        runtime.queue.join()  # type: ignore[union-attr]
        with pytest.raises(Conflict) as refused:
            _supersede(runtime, result.documents[0].id, _scan(tmp_path, "b.png", "16"))
    finally:
        runtime.close()
    assert (refused.value.code, refused.value.details["state"]) == ("not_archived", "needs_review")


def test_link_takes_effect_when_the_new_record_is_archived(rt: Runtime, settings: Settings, tmp_path: Path) -> None:
    old = _archived(rt, _scan(tmp_path, "a.png", "15"))
    idle = open_runtime(settings, with_queue=False)  # nothing processes the new document
    try:
        scan = _scan(tmp_path, "b.png", "16")
        with scan.open("rb") as fh:
            result = supersede_document(idle, old.id, IncomingFile(scan.name, fh), reason="r", actor="a")
        with idle.db.session() as session:
            pending = read_lineage(session, old.id)
            assert not is_superseded(session, old.id)
    finally:
        idle.close()
    assert result.state == DocumentState.RECEIVED
    assert [(link.new_document_id, link.effective) for link in pending.superseded_by] == [
        (result.new_document_id, False)
    ]
    assert not pending.superseded


def test_cli_supersede_and_lineage(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = open_runtime(settings)
    try:
        old = _archived(runtime, _scan(tmp_path, "a.png", "15"))
    finally:
        runtime.close()
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_REVIEW_POLICY", "never")
    monkeypatch.setenv("SOHOA_OCR_PROCESSES", "1")
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    corrected = _scan(tmp_path, "b.png", "16")
    done = runner.invoke(app, ["archive", "supersede", old.id, str(corrected), "--reason", "sai ngày", "--json"])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["state"] == "archived"
    assert [link["old_document_id"] for link in answer["lineage"]["supersedes"]] == [old.id]
    shown = runner.invoke(app, ["archive", "lineage", old.id])
    assert shown.exit_code == 0, shown.output
    assert "SUPERSEDED" in shown.stdout and answer["new_document_id"] in shown.stdout
    missing_reason = runner.invoke(app, ["archive", "supersede", old.id, str(corrected)])
    assert missing_reason.exit_code == 2
    again = runner.invoke(app, ["archive", "supersede", old.id, str(_scan(tmp_path, "c.png", "17")), "--reason", "x"])
    assert again.exit_code == 4 and "already_superseded" in again.output

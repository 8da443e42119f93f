"""Losing the catalogue loses no filing: rebuilt from the archive, the filing fields come back exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from sohoa.cli.archive_cmds import register
from sohoa.core.settings import Settings
from sohoa.pipeline.intake import IncomingFile, accept_paths
from sohoa.pipeline.rebuild import filing_fields, rebuild_catalogue
from sohoa.pipeline.retention import place_hold
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.supersede import read_lineage, supersede_document
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.archive_records import RetentionRecord, active_hold, is_superseded
from sohoa.storage.catalogue import DocumentFilter, get_document, list_documents, list_events
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.records import DocumentRecord, PageRecord
from tests.support.catalogue_loss import lose_sqlite_catalogue, use_s3, with_retention
from tests.support.codes import DOSSIER, PROCEDURE
from tests.support.pdfs import make_text_image
from tests.support.s3server import S3Endpoint

OTHER = "2.000123"
POLICY = RetentionPolicy(years=10, overrides={OTHER: 5})


def _scan(tmp_path: Path, number: int) -> Path:
    return make_text_image(tmp_path / f"scan-{number}.png", ["QUYẾT ĐỊNH", f"Số: {number}/QĐ-SVHTTDL"])


def _fill_archive(rt: Runtime, tmp_path: Path) -> dict[str, Any]:
    """Documents under two procedures, one superseded, one under legal hold; returns what to compare."""
    first = accept_paths(rt, [_scan(tmp_path, 1), _scan(tmp_path, 2)], procedure_code=PROCEDURE, actor="tester")
    second = accept_paths(rt, [_scan(tmp_path, 3)], procedure_code=OTHER, dossier_code=DOSSIER, actor="tester")
    rt.queue.join()  # type: ignore[union-attr]
    ids = [d.id for d in first.documents + second.documents]
    corrected = _scan(tmp_path, 4)
    with corrected.open("rb") as fh:
        new_id = supersede_document(
            rt, ids[0], IncomingFile(corrected.name, fh), reason="sai số", actor="archivist1"
        ).new_document_id
    rt.queue.join()  # type: ignore[union-attr]
    place_hold(rt, ids[2], reason="tranh chấp", actor="admin")
    with rt.db.session() as session:
        docs, _ = list_documents(session, DocumentFilter(), limit=100)
        assert {d.state for d in docs} == {"archived"}, [(d.state, d.reason_code) for d in docs]
        return {
            "filing": {d.id: filing_fields(d) for d in docs},
            "pages": {d.id: d.page_count for d in docs},
            "superseded": ids[0],
            "superseding": new_id,
            "held": ids[2],
        }


def _assert_rebuilt(rt: Runtime, before: dict[str, Any]) -> None:
    report = rebuild_catalogue(rt, actor="restorer")
    assert report.ok, report.issues
    assert sorted(report.restored) == sorted(before["filing"]) and report.links == 1
    with rt.db.session() as session:
        docs, _ = list_documents(session, DocumentFilter(), limit=100)
        assert {d.id: filing_fields(d) for d in docs} == before["filing"]
        assert {d.id: d.page_count for d in docs} == before["pages"]
        assert is_superseded(session, before["superseded"])
        assert [link.old_document_id for link in read_lineage(session, before["superseding"]).supersedes] == [
            before["superseded"]
        ]
        hold = active_hold(session, before["held"])
        assert hold is not None
        held = get_document(session, before["held"])
        assert held.original_key is not None and held.original_kind == "png"
        retention = session.get(RetentionRecord, before["held"])
        assert retention is not None and retention.mode == "COMPLIANCE"
        assert retention.retain_until is not None and held.archived_at is not None
        assert retention.retain_until.year - held.archived_at.year == 5  # the procedure's override
        pages = session.scalars(select(PageRecord).where(PageRecord.document_id == held.id)).all()
        assert pages and all(p.text.strip() for p in pages)
        assert held.search_text
        assert any(e.action == "catalogue.rebuilt" for e in list_events(session))
    again = rebuild_catalogue(rt, actor="restorer")
    assert again.restored == () and sorted(again.present) == sorted(before["filing"]) and again.links == 0


def test_rebuild_after_losing_the_sqlite_catalogue(settings: Settings, tmp_path: Path) -> None:
    rt = with_retention(open_runtime(settings), POLICY)
    try:
        before = _fill_archive(rt, tmp_path)
    finally:
        rt.close()
    lose_sqlite_catalogue(settings)
    rt = with_retention(open_runtime(settings), POLICY)
    try:
        with rt.db.session() as session:
            assert list_documents(session, DocumentFilter())[1] == 0  # the catalogue is gone
        _assert_rebuilt(rt, before)
        # Duplicate detection works again: the originals' claims are back.
        again = accept_paths(rt, [_scan(tmp_path, 2)], procedure_code=PROCEDURE, actor="tester")
        assert again.documents[0].duplicate_of is not None
    finally:
        rt.close()


def test_xmp_cross_check_flags_a_record_that_contradicts_its_pdf(settings: Settings, tmp_path: Path) -> None:
    rt = open_runtime(settings)
    try:
        result = accept_paths(rt, [_scan(tmp_path, 1)], procedure_code=PROCEDURE, actor="tester")
        rt.queue.join()  # type: ignore[union-attr]
        with rt.db.session() as session:
            doc = get_document(session, result.documents[0].id)
        # An archived PDF filed under another document's id: its XMP still names its own.
        pdf, record = tmp_path / "a.pdf", tmp_path / "a.json"
        rt.store.get_file(doc.archive_key or "", pdf)
        stranger = "00000000-0000-4000-8000-000000000000"
        filing = {"document_id": stranger, "procedure_code": PROCEDURE, "dossier_code": "", "signed_at": ""}
        filing["original_sha256"] = doc.original_sha256
        record.write_text(json.dumps({**filing, "filename": "x.pdf", "metadata": {}}), encoding="utf-8")
        key = f"archive/{PROCEDURE}/2025/{stranger}"
        rt.store.put_file(key + ".json", record, metadata=filing)
        rt.store.put_file(key + ".pdf", pdf, metadata=filing)
        report = rebuild_catalogue(rt, actor="restorer")
    finally:
        rt.close()
    assert not report.ok and report.present == (doc.id,) and report.restored == (stranger,)
    assert [(i.key, i.kind) for i in report.issues] == [(key + ".pdf", "xmp_mismatch")]
    assert "document_id" in report.issues[0].message


def test_cli_rebuild(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = open_runtime(settings)
    try:
        result = accept_paths(rt, [_scan(tmp_path, 1)], procedure_code=PROCEDURE, actor="tester")
        rt.queue.join()  # type: ignore[union-attr]
        doc_id = result.documents[0].id
    finally:
        rt.close()
    (settings.data_dir / "sohoa.db").unlink()
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    assert runner.invoke(app, ["catalogue", "rebuild"]).exit_code == 2  # the source must be named
    done = runner.invoke(app, ["catalogue", "rebuild", "--from-store", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {
        "ok": True,
        "restored": 1,
        "present": 0,
        "links": 0,
        "renewals": 0,
        "issues": [],
    }
    again = runner.invoke(app, ["catalogue", "rebuild", "--from-store"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == (
        "documents restored: 0, already present: 1, supersessions restored: 0, renewed copies linked: 0"
    )
    rt = open_runtime(settings, with_queue=False)
    try:
        with rt.db.session() as session:
            assert get_document(session, doc_id).state == "archived"
    finally:
        rt.close()


@pytest.mark.postgres
@pytest.mark.s3
def test_rebuild_on_postgresql_and_s3(settings: Settings, pg_url: str, s3_endpoint: S3Endpoint, tmp_path: Path) -> None:
    use_s3(settings, s3_endpoint, "sohoa-rebuild-", tmp_path, pg_url=pg_url)
    rt = with_retention(open_runtime(settings), POLICY)
    try:
        before = _fill_archive(rt, tmp_path)
    finally:
        rt.close()
    engine = create_engine(pg_url)
    with engine.begin() as conn:  # the database is lost: every table, every migration mark
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    rt = with_retention(open_runtime(settings), POLICY)
    try:
        with rt.db.session() as session:
            assert session.scalar(select(DocumentRecord.id).limit(1)) is None
        _assert_rebuilt(rt, before)
    finally:
        rt.close()

"""A correction of an archived document is kept in the archive, so losing the catalogue loses none:
rebuilt from the store, the corrected metadata and dossier code come back, the latest correction
winning; a correction whose catalogue commit failed after the store write blocks no retry."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from sohoa.cli.archive_cmds import register
from sohoa.core.errors import IntegrityError
from sohoa.core.settings import Settings
from sohoa.pipeline import corrections, review
from sohoa.pipeline.actions.search import search
from sohoa.pipeline.corrections import store_correction
from sohoa.pipeline.fixity import run_fixity
from sohoa.pipeline.rebuild import filing_fields, rebuild_catalogue
from sohoa.pipeline.retention import correction_key, correction_keys, locking_store, place_hold, release_hold
from sohoa.pipeline.review import correct_metadata
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.records import DocumentRecord
from sohoa.storage.search import DocumentFilters, SearchQuery
from tests.support.catalogue_loss import lose_sqlite_catalogue, use_s3, with_retention
from tests.support.codes import DOSSIER
from tests.support.flows import archive_one, ingest
from tests.support.pdfs import make_text_image
from tests.support.s3server import S3Endpoint

POLICY = RetentionPolicy(years=10)
LATER_DOSSIER = "000.00.32.H19-250313-0042"
FIRST = {"subject": "Cấp giấy phép vũ trường", "issued_date": "2025-03-12", "dossier_code": DOSSIER}
LATEST = {"subject": "Cấp giấy phép cho vũ trường ca nhạc", "dossier_code": LATER_DOSSIER}


def _scan(tmp_path: Path, number: int) -> Path:
    return make_text_image(tmp_path / f"scan-{number}.png", ["QUYẾT ĐỊNH", f"Số: {number}/QĐ-SVHTTDL", "Về việc"])


def _open(settings: Settings) -> Runtime:
    return with_retention(open_runtime(settings), POLICY)


def _subject(rt: Runtime, document_id: str) -> str | None:
    with rt.db.session() as session:
        return (get_document(session, document_id).metadata_json or {}).get("subject")


def _corrected_twice(rt: Runtime, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """An archived document corrected, put under legal hold, corrected again; its id and filing."""
    doc = archive_one(rt, _scan(tmp_path, 1))
    assert doc.archive_key is not None and doc.dossier_code != DOSSIER
    correct_metadata(rt, doc.id, FIRST, actor="hoa")
    place_hold(rt, doc.id, reason="thanh tra", actor="admin")
    correct_metadata(rt, doc.id, LATEST, actor="lan")
    keys = correction_keys(rt.store, doc.archive_key)
    assert keys == [correction_key(doc.archive_key, 1), correction_key(doc.archive_key, 2)]
    for key in keys:  # kept like the filing record beside them
        lock = locking_store(rt.store).lock_status(key)
        assert lock.legal_hold and lock.mode == "COMPLIANCE" and lock.retain_until is not None
    with rt.store.open(keys[-1]) as fh:
        latest = json.load(fh)
    assert (latest["actor"], latest["dossier_code"]) == ("lan", LATER_DOSSIER)
    assert [change["field"] for change in latest["changes"]] == ["subject", "dossier_code"]
    with rt.db.session() as session:
        corrected = get_document(session, doc.id)
        assert corrected.dossier_code == LATER_DOSSIER
        return doc.id, filing_fields(corrected)


def _assert_rebuilt(rt: Runtime, document_id: str, before: dict[str, Any]) -> None:
    with rt.db.session() as session:
        assert list_events(session, document_id=document_id) == []  # the catalogue is gone
    report = rebuild_catalogue(rt, actor="restorer")
    # The corrections are neither documents nor problems.
    assert report.ok and report.restored == (document_id,) and report.issues == (), report.issues
    with rt.db.session() as session:
        rebuilt = get_document(session, document_id)
        restored = [e for e in list_events(session, document_id=document_id) if e.action == "document.state"]
    assert filing_fields(rebuilt) == before  # the corrections listed again, with the same digests
    assert rebuilt.archive_key is not None
    assert [entry["key"] for entry in rebuilt.archive_corrections or []] == correction_keys(
        rt.store, rebuilt.archive_key
    )
    assert rebuilt.dossier_code == LATER_DOSSIER
    meta = rebuilt.metadata_json or {}
    # The latest correction wins, and holds what the earlier one set that it left alone.
    assert (meta["subject"], meta["dossier_code"], meta["issued_date"]) == (
        LATEST["subject"],
        LATER_DOSSIER,
        FIRST["issued_date"],
    )
    assert meta["confidence"]["subject"] == 1.0
    assert rebuilt.archive_key is not None
    assert restored[0].details["corrected_by"] == correction_key(rebuilt.archive_key, 2)
    hits = search(rt, SearchQuery(text="vu truong ca nhac", filters=DocumentFilters())).hits
    assert [hit.document.id for hit in hits] == [document_id]
    audit = run_fixity(rt, actor="auditor")
    assert audit.ok and audit.checked == 1, audit.problems


def test_corrections_come_back_when_the_sqlite_catalogue_is_lost(settings: Settings, tmp_path: Path) -> None:
    rt = _open(settings)
    try:
        document_id, before = _corrected_twice(rt, tmp_path)
    finally:
        rt.close()
    lose_sqlite_catalogue(settings)
    rt = _open(settings)
    try:
        _assert_rebuilt(rt, document_id, before)
    finally:
        rt.close()


@pytest.mark.postgres
@pytest.mark.s3
def test_corrections_come_back_on_postgresql_and_s3(
    settings: Settings, pg_url: str, s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    use_s3(settings, s3_endpoint, "sohoa-corr-", tmp_path, pg_url=pg_url)
    rt = _open(settings)
    try:
        document_id, before = _corrected_twice(rt, tmp_path)
    finally:
        rt.close()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    rt = _open(settings)
    try:
        _assert_rebuilt(rt, document_id, before)
    finally:
        rt.close()


def _killed_after(stored: Callable[..., str]) -> Callable[..., str]:
    def store_then_fail(*args: Any, **kwargs: Any) -> str:
        stored(*args, **kwargs)
        raise OSError("killed before the catalogue committed")

    return store_then_fail


def test_a_correction_the_catalogue_never_committed_blocks_no_retry(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = _open(settings)
    try:
        retried, abandoned = ingest(rt, [_scan(tmp_path, 1), _scan(tmp_path, 2)])
        with rt.db.session() as session:
            archive_keys = {i: get_document(session, i).archive_key or "" for i in (retried, abandoned)}
            subjects = {i: _subject(rt, i) for i in (retried, abandoned)}
        monkeypatch.setattr(review, "store_correction", _killed_after(review.store_correction))
        for document_id in (retried, abandoned):
            with pytest.raises(OSError):
                correct_metadata(rt, document_id, {"subject": "Lần một"}, actor="hoa")
        monkeypatch.undo()
        with rt.db.session() as session:
            for document_id in (retried, abandoned):
                assert _subject(rt, document_id) == subjects[document_id]
                events = list_events(session, document_id=document_id)
                assert not [e for e in events if e.action == "metadata.corrected"]
                assert correction_keys(rt.store, archive_keys[document_id]) == [
                    correction_key(archive_keys[document_id], 1)
                ]
        correct_metadata(rt, retried, {"subject": "Lần hai"}, actor="hoa")  # the stored one takes no number of it
        assert _subject(rt, retried) == "Lần hai"
        assert correction_keys(rt.store, archive_keys[retried])[-1] == correction_key(archive_keys[retried], 2)
    finally:
        rt.close()
    lose_sqlite_catalogue(settings)
    rt = _open(settings)
    try:
        report = rebuild_catalogue(rt, actor="restorer")
        assert report.ok, report.issues
        assert _subject(rt, retried) == "Lần hai"
        # Never committed, and never retried: still the newest word of a person on that filing.
        assert _subject(rt, abandoned) == "Lần một"
    finally:
        rt.close()


def _held(rt: Runtime, archive_key: str) -> list[bool]:
    """Whether the PDF, its filing record and each correction are under legal hold, in that order."""
    keys = [archive_key, archive_key.removesuffix(".pdf") + ".json", *correction_keys(rt.store, archive_key)]
    return [locking_store(rt.store).lock_status(key).legal_hold for key in keys]


def _killed_before_the_hold(*args: Any, **kwargs: Any) -> None:
    raise OSError("killed after the store put, before the hold")


def test_a_correction_left_out_of_its_filings_hold_is_held_again_and_released_with_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = _open(settings)
    try:
        doc = archive_one(rt, _scan(tmp_path, 1))
        assert doc.archive_key is not None
        place_hold(rt, doc.id, reason="thanh tra", actor="admin")
        monkeypatch.setattr(corrections, "hold_like_filing", _killed_before_the_hold)
        with pytest.raises(OSError):
            correct_metadata(rt, doc.id, {"subject": "Lần một"}, actor="hoa")
        assert _held(rt, doc.archive_key) == [True, True, False]  # stored, but outside the hold
        monkeypatch.undo()
        correct_metadata(rt, doc.id, {"subject": "Lần hai"}, actor="hoa")  # the next correction mends it
        assert _held(rt, doc.archive_key) == [True, True, True, True]
        monkeypatch.setattr(corrections, "hold_like_filing", _killed_before_the_hold)
        with pytest.raises(OSError):
            correct_metadata(rt, doc.id, {"subject": "Lần ba"}, actor="hoa")
        monkeypatch.undo()
        assert _held(rt, doc.archive_key) == [True, True, True, True, False]
        assert run_fixity(rt, actor="auditor").ok  # and so does a fixity run, which finds nothing wrong
        assert _held(rt, doc.archive_key) == [True, True, True, True, True]
        release_hold(rt, doc.id, reason="xong", actor="admin")  # a release frees the whole filing
        assert _held(rt, doc.archive_key) == [False] * 5
        correct_metadata(rt, doc.id, {"subject": "Lần bốn"}, actor="hoa")  # no hold to join now
        assert _held(rt, doc.archive_key) == [False] * 6
    finally:
        rt.close()


def test_an_archived_row_without_its_key_stores_no_correction(settings: Settings) -> None:
    rt = _open(settings)
    try:
        doc = DocumentRecord(id="doc-no-key", state="archived", archive_key=None)
        with pytest.raises(IntegrityError, match="no archive key"):
            store_correction(rt, doc, [], actor="hoa")
    finally:
        rt.close()


def _first_correction_lost(settings: Settings, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """A document corrected twice, its first correction then deleted behind sohoa's back and the
    catalogue lost; its id and filing as the catalogue had it."""
    rt = _open(settings)
    try:
        document_id, before = _corrected_twice(rt, tmp_path)
        archive_key = str(before["archive_key"])
        assert [entry["key"] for entry in before["archive_corrections"]] == correction_keys(rt.store, archive_key)
    finally:
        rt.close()
    (settings.store_dir / correction_key(archive_key, 1)).unlink()
    lose_sqlite_catalogue(settings)
    return document_id, before


def test_a_lost_correction_is_an_error_of_the_rebuild_and_the_newest_held_is_filed(
    settings: Settings, tmp_path: Path
) -> None:
    document_id, before = _first_correction_lost(settings, tmp_path)
    archive_key = str(before["archive_key"])
    first = correction_key(archive_key, 1)
    rt = _open(settings)
    try:
        report = rebuild_catalogue(rt, actor="restorer")
        assert not report.ok and report.restored == (document_id,)
        assert [(issue.key, issue.kind) for issue in report.issues] == [(first, "correction_missing")]
        assert correction_key(archive_key, 2) in report.issues[0].message
        with rt.db.session() as session:
            rebuilt = get_document(session, document_id)
            # each correction holds the whole filing: the newest held is filed, not the archived one
            assert rebuilt.dossier_code == LATER_DOSSIER
            assert rebuilt.archive_corrections == before["archive_corrections"][1:]
    finally:
        rt.close()


def test_cli_rebuild_exits_1_naming_the_lost_correction(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, before = _first_correction_lost(settings, tmp_path)
    first = correction_key(str(before["archive_key"]), 1)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    done = CliRunner().invoke(app, ["catalogue", "rebuild", "--from-store", "--json"])
    assert done.exit_code == 1, done.output
    report = json.loads(done.stdout)
    assert [(i["key"], i["kind"]) for i in report["issues"]] == [(first, "correction_missing")]


def test_a_correction_the_catalogue_does_not_list_is_still_checked(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = _open(settings)
    try:
        doc = archive_one(rt, _scan(tmp_path, 1))
        assert doc.archive_key is not None
        monkeypatch.setattr(review, "store_correction", _killed_after(review.store_correction))
        with pytest.raises(OSError):
            correct_metadata(rt, doc.id, {"subject": "Lần một"}, actor="hoa")
        monkeypatch.undo()
        stranded = correction_key(doc.archive_key, 1)
        with rt.db.session() as session:
            assert get_document(session, doc.id).archive_corrections is None  # the commit was lost
        assert run_fixity(rt, actor="auditor").ok
        recorded = rt.store.stat(stranded).sha256
        path = settings.store_dir / stranded
        path.chmod(0o644)
        path.write_bytes(path.read_bytes().replace("Lần một".encode(), "Lần hai".encode()))
        summary = run_fixity(rt, actor="auditor")
        assert [(p.key, p.kind, p.expected) for p in summary.problems] == [(stranded, "mismatch", recorded)]
        # The next correction lists it, with the digest the store recorded, before its own.
        correct_metadata(rt, doc.id, {"subject": "Lần ba"}, actor="hoa")
        with rt.db.session() as session:
            listed = get_document(session, doc.id).archive_corrections or []
        assert [(entry["key"], entry["sha256"]) for entry in listed] == [
            (stranded, recorded),
            (correction_key(doc.archive_key, 2), rt.store.stat(correction_key(doc.archive_key, 2)).sha256),
        ]
        assert [(p.key, p.kind) for p in run_fixity(rt, actor="auditor").problems] == [(stranded, "mismatch")]
    finally:
        rt.close()


def _listed_numbers(rt: Runtime, document_id: str) -> list[str]:
    with rt.db.session() as session:
        return [entry["key"].rsplit(".", 2)[1] for entry in get_document(session, document_id).archive_corrections]


def test_a_document_whose_correction_was_lost_can_be_corrected_again(settings: Settings, tmp_path: Path) -> None:
    # c1 lost, the catalogue rebuilt listing only c2: the next correction is c3, not c2 again (which
    # the store would refuse, leaving the document uncorrectable for good).
    document_id, _ = _first_correction_lost(settings, tmp_path)
    rt = _open(settings)
    try:
        assert not rebuild_catalogue(rt, actor="restorer").ok  # the loss is reported
        assert _listed_numbers(rt, document_id) == ["c2"]
        correct_metadata(rt, document_id, {"subject": "Lần ba"}, actor="hoa")
        assert _listed_numbers(rt, document_id) == ["c2", "c3"]
        assert _subject(rt, document_id) == "Lần ba"
    finally:
        rt.close()


def test_a_correction_after_a_lost_one_the_catalogue_never_listed_sorts_after_every_older_one(
    settings: Settings, tmp_path: Path
) -> None:
    # Corrected before the catalogue listed corrections, then c1 lost: a new one must not take c1 (the
    # older c2 would then win a rebuild, quietly filing older metadata).
    rt = _open(settings)
    try:
        document_id, before = _corrected_twice(rt, tmp_path)
        archive_key = str(before["archive_key"])
        with rt.db.session() as session:
            get_document(session, document_id).archive_corrections = None  # as this release found it
        (settings.store_dir / correction_key(archive_key, 1)).unlink()
        correct_metadata(rt, document_id, {"subject": "Lần ba"}, actor="hoa")
        assert _listed_numbers(rt, document_id) == ["c2", "c3"]
    finally:
        rt.close()
    lose_sqlite_catalogue(settings)
    rt = _open(settings)
    try:
        report = rebuild_catalogue(rt, actor="restorer")
        assert [(i.key, i.kind) for i in report.issues] == [(correction_key(archive_key, 1), "correction_missing")]
        assert _subject(rt, document_id) == "Lần ba"
    finally:
        rt.close()

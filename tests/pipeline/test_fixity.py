"""Fixity audit: archived objects re-read and re-hashed; tampered and missing ones are found."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
import typer
from minio import Minio
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from sohoa.cli.archive_cmds import register
from sohoa.core.clock import utcnow
from sohoa.core.errors import ConfigurationError, StorageError
from sohoa.core.settings import Settings
from sohoa.pipeline import fixity
from sohoa.pipeline.fixity import (
    last_fixity_summary,
    run_fixity,
    start_fixity_schedule,
)
from sohoa.pipeline.retention import correction_key, correction_keys
from sohoa.pipeline.review import correct_metadata
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.archive_records import FixityRunRecord
from sohoa.storage.catalogue import get_document, list_events
from sohoa.storage.objectrules import RetentionPolicy
from sohoa.storage.records import EventRecord
from sohoa.storage.s3store import S3Store
from tests.support.catalogue_loss import use_s3
from tests.support.flows import ingest
from tests.support.pdfs import make_text_image
from tests.support.s3server import S3Endpoint


def _archive(rt: Runtime, tmp_path: Path, count: int) -> list[tuple[str, str]]:
    """``count`` archived documents: (id, archive key) each."""
    scans = [make_text_image(tmp_path / f"scan-{i}.png", ["QUYẾT ĐỊNH", f"Số: {i + 1}/QĐ"]) for i in range(count)]
    out = []
    ids = ingest(rt, scans)
    with rt.db.session() as session:
        for doc_id in ids:
            doc = get_document(session, doc_id)
            assert doc.state == "archived", (doc.state, doc.reason_code)
            out.append((doc.id, doc.archive_key or ""))
    return out


def _tamper_local(rt: Runtime, key: str) -> None:
    path = rt.settings.store_dir / key
    path.chmod(0o644)  # an intruder with the owner's rights, or bit rot
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_intact_archive_passes(runtime: Runtime, tmp_path: Path) -> None:
    docs = _archive(runtime, tmp_path, 2)
    summary = run_fixity(runtime, actor="auditor1")
    assert summary.ok and (summary.checked, summary.intact) == (2, 2)
    sizes = sum(runtime.store.stat(k).size + runtime.store.stat(k.removesuffix(".pdf") + ".json").size for _, k in docs)
    assert summary.bytes_read == sizes
    with runtime.db.session() as session:
        assert last_fixity_summary(session) == summary
        run = session.get(FixityRunRecord, summary.run_id)
        assert run is not None and run.actor == "auditor1" and run.problems is None
        events = [e for e in list_events(session) if e.action == "fixity.run"]
    assert len(events) == 1 and events[0].details is not None and events[0].details["intact"] == 2


def test_tampered_and_missing_objects_are_found(runtime: Runtime, tmp_path: Path) -> None:
    (tampered, tampered_key), (lost, lost_key), (kept, _), (orphan, orphan_key) = _archive(runtime, tmp_path, 4)
    _tamper_local(runtime, tampered_key)
    (runtime.settings.store_dir / lost_key).unlink()
    (runtime.settings.store_dir / orphan_key.removesuffix(".pdf")).with_suffix(".json").unlink()
    summary = run_fixity(runtime, actor="auditor1")
    assert not summary.ok
    assert (summary.checked, summary.intact, summary.mismatched, summary.missing) == (4, 1, 1, 2)
    found = {(p.document_id, p.kind, p.key) for p in summary.problems}
    assert found == {
        (tampered, "mismatch", tampered_key),
        (lost, "missing", lost_key),
        (orphan, "missing", orphan_key.removesuffix(".pdf") + ".json"),
    }
    mismatch = next(p for p in summary.problems if p.kind == "mismatch")
    with runtime.db.session() as session:
        assert mismatch.expected == get_document(session, tampered).archive_sha256 != mismatch.actual
        flagged = {e.document_id for e in list_events(session) if e.action == "fixity.failed"}
        assert last_fixity_summary(session) == summary
    assert flagged == {tampered, lost, orphan}
    assert kept not in flagged


def test_a_tampered_correction_is_found(runtime: Runtime, tmp_path: Path) -> None:
    # A catalogue rebuilt from the archive files the newest correction: it is checked like the PDF.
    docs = _archive(runtime, tmp_path, 2)
    [(corrected, key), (other, _)] = docs
    correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép vũ trường"}, actor="hoa")
    correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép cho vũ trường ca nhạc"}, actor="lan")
    first, second = correction_keys(runtime.store, key)
    clean = run_fixity(runtime, actor="auditor1")
    assert clean.ok and (clean.checked, clean.intact) == (2, 2)
    objects = [k for _, pdf in docs for k in (pdf, pdf.removesuffix(".pdf") + ".json")] + [first, second]
    assert clean.bytes_read == sum(runtime.store.stat(k).size for k in objects)
    _tamper_local(runtime, second)
    summary = run_fixity(runtime, actor="auditor1")
    assert (summary.checked, summary.intact, summary.mismatched, summary.missing) == (2, 1, 1, 0)
    assert [(p.document_id, p.kind, p.key) for p in summary.problems] == [(corrected, "mismatch", second)]
    assert summary.problems[0].expected == runtime.store.stat(second).sha256 != summary.problems[0].actual
    with runtime.db.session() as session:
        flagged = {e.document_id for e in list_events(session) if e.action == "fixity.failed"}
    assert flagged == {corrected} and other not in flagged


def test_a_store_failing_on_corrections_or_holds_does_not_end_the_run(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [(first, first_key), _] = _archive(runtime, tmp_path, 2)
    exists = runtime.store.exists

    def refused(key: str) -> bool:
        if key.startswith(first_key.removesuffix(".pdf")) and ".c" in key:
            raise PermissionError(13, "Permission denied", key)
        return exists(key)

    monkeypatch.setattr(runtime.store, "exists", refused)

    def store_down(*_args: object, **_kwargs: object) -> None:
        raise StorageError("the store did not answer")

    monkeypatch.setattr(fixity, "hold_like_filing", store_down)
    summary = run_fixity(runtime, actor="auditor1")  # finished and recorded, not raised
    assert (summary.checked, summary.intact, summary.unreadable) == (2, 1, 1)
    [problem] = summary.problems
    # named by the corrections' key, not the PDF's, which read well
    assert (problem.document_id, problem.kind, problem.key) == (first, "unreadable", correction_key(first_key, 1))
    assert "corrections cannot be listed" in problem.message
    with runtime.db.session() as session:
        assert last_fixity_summary(session) == summary


def test_sample_and_since_narrow_the_audit(runtime: Runtime, tmp_path: Path) -> None:
    _archive(runtime, tmp_path, 3)
    assert run_fixity(runtime, actor="a", sample=2).checked == 2
    assert run_fixity(runtime, actor="a", since=utcnow() + timedelta(minutes=1)).checked == 0
    assert run_fixity(runtime, actor="a", since=utcnow() - timedelta(hours=1)).checked == 3
    with pytest.raises(ConfigurationError):
        run_fixity(runtime, actor="a", sample=0)
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(FixityRunRecord)) == 3
        latest = last_fixity_summary(session)
    assert latest is not None and latest.since is not None and latest.checked == 3


def test_cli_exit_code_tells_problems(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = open_runtime(settings)
    try:
        [(doc_id, key), _] = _archive(runtime, tmp_path, 2)
    finally:
        runtime.close()
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    clean = runner.invoke(app, ["audit", "fixity"])
    assert clean.exit_code == 0, clean.output
    assert "2 checked, 2 intact" in clean.stdout
    (settings.store_dir / key).unlink()
    broken = runner.invoke(app, ["audit", "fixity", "--json"])
    assert broken.exit_code == 1
    report = json.loads(broken.stdout)
    assert (report["missing"], report["problems"][0]["document_id"]) == (1, doc_id)
    sampled = runner.invoke(app, ["audit", "fixity", "--sample", "1", "--since", "2000-01-01", "--json"])
    assert json.loads(sampled.stdout)["checked"] == 1
    assert runner.invoke(app, ["audit", "fixity", "--since", "not-a-date"]).exit_code == 2
    narrowed = runner.invoke(app, ["audit", "fixity", "--since", "2999-01-01", "--json"])
    assert narrowed.exit_code == 0 and json.loads(narrowed.stdout)["checked"] == 0


def test_schedule_runs_until_stopped(runtime: Runtime, tmp_path: Path) -> None:
    _archive(runtime, tmp_path, 1)
    stop = start_fixity_schedule(runtime, 0.2)
    try:
        deadline = time.monotonic() + 10
        latest = None
        while latest is None and time.monotonic() < deadline:
            time.sleep(0.1)
            with runtime.db.session() as session:
                latest = last_fixity_summary(session)
    finally:
        stop.set()
    assert latest is not None and latest.actor == "fixity-schedule" and latest.ok and latest.checked == 1
    time.sleep(0.5)  # a run already under way may still finish; then the schedule is quiet
    with runtime.db.session() as session:
        settled = session.scalar(select(func.count()).select_from(FixityRunRecord))
    time.sleep(0.6)
    with runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(FixityRunRecord)) == settled
    with pytest.raises(ConfigurationError):
        start_fixity_schedule(runtime, 0)


@pytest.mark.parametrize(("value", "seconds"), [(None, 0.0), ("", 0.0), ("0", 0.0), ("86400", 86400.0)])
def test_interval_setting(monkeypatch: pytest.MonkeyPatch, value: str | None, seconds: float) -> None:
    if value is None:
        monkeypatch.delenv("SOHOA_FIXITY_INTERVAL", raising=False)
    else:
        monkeypatch.setenv("SOHOA_FIXITY_INTERVAL", value)
    assert Settings().fixity_interval == seconds


@pytest.mark.parametrize("value", ["daily", "-5"])
def test_bad_interval_is_refused_on_start(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOHOA_FIXITY_INTERVAL", value)
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.s3
def test_fixity_on_s3_finds_overwritten_and_hidden_objects(
    settings: Settings, s3_endpoint: S3Endpoint, tmp_path: Path
) -> None:
    use_s3(settings, s3_endpoint, "sohoa-fixity-", tmp_path)
    runtime = open_runtime(settings)
    store = runtime.store
    assert isinstance(store, S3Store)
    store.retention = RetentionPolicy(years=1)
    raw = Minio(
        s3_endpoint.endpoint,
        access_key=s3_endpoint.access_key,
        secret_key=s3_endpoint.secret_key,
        secure=s3_endpoint.secure,
    )
    try:
        (overwritten, overwritten_key), (hidden, hidden_key), _ = _archive(runtime, tmp_path, 3)
        # Object lock lets both through: a new version on top, a delete marker on top.
        kept_metadata: dict[str, str | list[str] | tuple[str]] = {
            k: v
            for k, v in (raw.stat_object(store.bucket, overwritten_key).metadata or {}).items()
            if k.lower().startswith("x-amz-meta-")
        }
        raw.put_object(store.bucket, overwritten_key, io.BytesIO(b"%PDF forged"), 11, metadata=kept_metadata)
        raw.remove_object(store.bucket, hidden_key)
        summary = run_fixity(runtime, actor="auditor1")
    finally:
        runtime.close()
    assert (summary.checked, summary.intact, summary.mismatched, summary.missing) == (3, 1, 1, 1)
    assert {(p.document_id, p.kind) for p in summary.problems} == {(overwritten, "mismatch"), (hidden, "missing")}
    with open_runtime(settings, with_queue=False).db.session() as session:
        assert (
            session.scalar(select(func.count()).select_from(EventRecord).where(EventRecord.action == "fixity.failed"))
            == 2
        )


def _listed(runtime: Runtime, document_id: str) -> list[dict[str, object]]:
    with runtime.db.session() as session:
        return list(get_document(session, document_id).archive_corrections or [])


def test_a_lost_correction_is_missing_and_the_cli_exits_1(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The store alone cannot tell a correction deleted from one never made: the catalogue lists them.
    runtime = open_runtime(settings)
    try:
        docs = _archive(runtime, tmp_path, 2)
        [(corrected, key), _] = docs
        correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép vũ trường"}, actor="hoa")
        correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép cho vũ trường ca nhạc"}, actor="lan")
        first, second = correction_keys(runtime.store, key)
        assert _listed(runtime, corrected) == [
            {"key": k, "sha256": runtime.store.stat(k).sha256, "size": runtime.store.stat(k).size}
            for k in (first, second)
        ]
        # what is left to read once the first correction is lost: the correction after it too
        left = [k for _, pdf in docs for k in (pdf, pdf.removesuffix(".pdf") + ".json")] + [second]
        left_bytes = sum(runtime.store.stat(k).size for k in left)
    finally:
        runtime.close()
    (settings.store_dir / first).unlink()
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    app = typer.Typer()
    register(app)
    broken = CliRunner().invoke(app, ["audit", "fixity", "--json"])
    assert broken.exit_code == 1, broken.output
    report = json.loads(broken.stdout)
    assert (report["checked"], report["intact"], report["missing"]) == (2, 1, 1)
    assert [(p["document_id"], p["kind"], p["key"]) for p in report["problems"]] == [(corrected, "missing", first)]
    assert report["bytes_read"] == left_bytes


def test_a_listed_correction_is_checked_against_the_catalogues_digest(runtime: Runtime, tmp_path: Path) -> None:
    [(corrected, key)] = _archive(runtime, tmp_path, 1)
    correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép vũ trường"}, actor="hoa")
    correct_metadata(runtime, corrected, {"subject": "Cấp giấy phép cho vũ trường ca nhạc"}, actor="lan")
    first, second = correction_keys(runtime.store, key)
    listed = _listed(runtime, corrected)
    _tamper_local(runtime, first)
    # The catalogue's digest of the second differs from the one the store recorded: the catalogue's counts.
    forged = "0" * 64
    with runtime.db.session() as session:
        get_document(session, corrected).archive_corrections = [listed[0], {**listed[1], "sha256": forged}]
    summary = run_fixity(runtime, actor="auditor1")
    assert (summary.checked, summary.mismatched, summary.missing) == (1, 1, 0)
    found = {(p.key, p.kind, p.expected) for p in summary.problems}
    assert found == {(first, "mismatch", listed[0]["sha256"]), (second, "mismatch", forged)}
    assert all(p.actual != p.expected for p in summary.problems)

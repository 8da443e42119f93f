"""What a crashed or failed run leaves behind never blocks the next one."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sohoa.api.app import create_app
from sohoa.core.clock import utcnow
from sohoa.core.domain import DocumentState
from sohoa.core.errors import InsufficientStorage, ProcessingError, StorageError
from sohoa.core.settings import Settings
from sohoa.pipeline import intake, tasks
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.sweeper import lease_holder_is_dead, sweep
from sohoa.pipeline.tasks import run_task
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage import localstore
from sohoa.storage.catalogue import get_document
from sohoa.storage.records import DocumentRecord, EventRecord, OriginalRecord
from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image


@pytest.fixture(params=["sqlite", "postgresql"])
def quiet_runtime(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Runtime]:
    """A runtime with no workers (documents stay where intake leaves them), on each catalogue engine."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        settings = settings.model_copy(update={"database_url": url})
    rt = open_runtime(settings, with_queue=False)
    try:
        yield rt
    finally:
        rt.close()


def _upload(rt: Runtime, scan: Path) -> intake.UploadResult:
    return accept_files(
        rt, [IncomingFile(scan.name, io.BytesIO(scan.read_bytes()))], procedure_code=PROCEDURE, actor="tester"
    )


def test_a_failure_after_the_claim_leaves_nothing_that_blocks_a_retry(
    quiet_runtime: Runtime, scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = quiet_runtime

    def disk_gone(*_args: object, **_kwargs: object) -> None:
        raise StorageError("disk full", code="storage_io_error")

    with monkeypatch.context() as patch:
        patch.setattr(intake, "_add_document", disk_gone)
        failed = _upload(rt, scan)
    assert [r.code for r in failed.rejected] == ["storage_io_error"] and not failed.documents
    with rt.db.session() as session:
        assert session.scalars(select(OriginalRecord)).all() == []  # the claim went with the document

    retried = _upload(rt, scan)
    assert not retried.rejected
    [doc] = retried.documents
    assert doc.duplicate_of is None and doc.state == DocumentState.RECEIVED
    with rt.db.session() as session:
        assert get_document(session, doc.id).original_sha256


def test_an_orphan_claim_is_taken_over_by_the_next_upload(quiet_runtime: Runtime, scan: Path) -> None:
    rt = quiet_runtime
    import hashlib

    sha = hashlib.sha256(scan.read_bytes()).hexdigest()
    with rt.db.session() as session:  # what an older release left after a crash
        session.add(OriginalRecord(sha256=sha, document_id="00000000-0000-0000-0000-000000000000", created_at=utcnow()))

    result = _upload(rt, scan)
    assert not result.rejected
    [doc] = result.documents
    assert doc.duplicate_of is None
    with rt.db.session() as session:
        assert session.get(OriginalRecord, sha).document_id == doc.id
        assert session.get(DocumentRecord, doc.id) is not None

    again = _upload(rt, scan)  # and the file is a plain duplicate from then on
    assert [d.duplicate_of for d in again.documents] == [doc.id]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid names no process now
    return child.pid


def _hold(rt: Runtime, doc_id: str, owner: str) -> None:
    """What kill -9 mid-stage leaves: the document in its input state under the dead worker's lease."""
    with rt.db.session() as session:
        doc = get_document(session, doc_id)
        doc.lease_owner = owner
        doc.lease_expires = utcnow() + timedelta(seconds=1800)


def test_lease_holders_are_dead_only_when_known_gone() -> None:
    host = socket.gethostname()
    assert lease_holder_is_dead(f"{host}:{_dead_pid()}:1")
    assert not lease_holder_is_dead(f"{host}:{os.getppid()}:1")  # a live process of this machine
    assert not lease_holder_is_dead(f"other-{host}:{_dead_pid()}:1")  # another machine: leave it to expire
    assert not lease_holder_is_dead(f"{host}:{os.getpid()}:{threading.get_ident()}")  # this very thread
    assert lease_holder_is_dead(f"{host}:{os.getpid()}:1")  # a thread of this process that does not run
    assert not lease_holder_is_dead("worker-a")


def test_a_restarted_embedded_server_resumes_documents_held_by_a_dead_worker(
    settings: Settings, scan: Path, kept_umask: None
) -> None:
    rt = open_runtime(settings, with_queue=False)
    try:
        [doc] = _upload(rt, scan).documents
        _hold(rt, doc.id, f"{socket.gethostname()}:{_dead_pid()}:140000000000")
        live = f"other-machine:{os.getpid()}:1"
        second = make_text_image(scan.with_name("second.png"), ["QUYẾT ĐỊNH", "Số: 16/QĐ-SVHTTDL"])
        [other] = _upload(rt, second).documents
        _hold(rt, other.id, live)
    finally:
        rt.close()

    with TestClient(create_app(settings)) as client:  # the start-up sweep runs in the app's lifespan
        client.app.state.runtime.queue.join()
        with client.app.state.runtime.db.session() as session:
            resumed = get_document(session, doc.id)
            untouched = get_document(session, other.id)
            requeued = session.scalars(select(EventRecord).where(EventRecord.action == "sweeper.requeued")).all()
    assert resumed.state != DocumentState.RECEIVED, (resumed.state, resumed.reason_code)
    assert untouched.state == DocumentState.RECEIVED and untouched.lease_owner == live
    assert [e.details["dead_leases"] for e in requeued] == [1]


def test_sweep_now_resumes_a_dead_holders_document_and_leaves_a_live_one(runtime: Runtime, scan: Path) -> None:
    queued: list[tuple[str, str]] = []
    quiet = Runtime(settings=runtime.settings, db=runtime.db, store=runtime.store)
    quiet.enqueue = lambda task, doc_id: queued.append((task, doc_id))  # type: ignore[method-assign]
    [doc] = _upload(quiet, scan).documents
    queued.clear()
    _hold(quiet, doc.id, f"{socket.gethostname()}:{os.getppid()}:1")
    assert sweep(quiet, stuck_after=timedelta(0)) == [] and queued == []  # its holder lives
    _hold(quiet, doc.id, f"{socket.gethostname()}:{_dead_pid()}:1")
    scaled = Runtime(
        settings=quiet.settings.model_copy(update={"broker_url": "redis://nowhere:1/0"}), db=quiet.db, store=quiet.store
    )
    scaled.enqueue = quiet.enqueue  # type: ignore[method-assign]
    assert sweep(scaled, stuck_after=timedelta(0)) == []  # containers may share a host name, not a process table
    assert sweep(quiet, stuck_after=timedelta(hours=1)) == [("ocr", doc.id)] == queued
    with quiet.db.session() as session:
        assert get_document(session, doc.id).lease_owner is None


def test_a_document_failed_on_a_full_disk_is_retried_once_space_returns(
    runtime: Runtime, scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, str]] = []
    quiet = Runtime(settings=runtime.settings, db=runtime.db, store=runtime.store)
    quiet.enqueue = lambda task, doc_id: queued.append((task, doc_id))  # type: ignore[method-assign]
    [doc] = _upload(quiet, scan).documents

    def no_space(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(localstore, "copy_hashing", no_space)
        run_task(quiet, "ocr", doc.id)
    with quiet.db.session() as session:
        failed = get_document(session, doc.id)
        assert (failed.state, failed.reason_code) == (DocumentState.FAILED, "insufficient_storage")

    queued.clear()
    quiet.settings.min_free_mb = shutil.disk_usage(quiet.settings.data_dir).free // 2**20 + 10_000
    assert sweep(quiet, stuck_after=timedelta(0)) == [] and queued == []  # still too little space
    quiet.settings.min_free_mb = 1
    assert sweep(quiet, stuck_after=timedelta(hours=1)) == [("ocr", doc.id)] == queued
    with quiet.db.session() as session:
        back = get_document(session, doc.id)
        assert (back.state, back.reason_code) == (DocumentState.RECEIVED, None)
    run_task(quiet, "ocr", doc.id)
    with quiet.db.session() as session:
        assert get_document(session, doc.id).state == DocumentState.OCR_DONE


def test_a_zip_expanded_onto_a_full_disk_is_insufficient_storage(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise ProcessingError("no space left to expand the zip", code="disk_full")

    monkeypatch.setattr(intake, "expand_zip", full)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.pdf", b"%PDF-1.4")
    with pytest.raises(InsufficientStorage) as raised:
        accept_files(
            runtime, [IncomingFile("a.zip", io.BytesIO(buffer.getvalue()))], procedure_code=PROCEDURE, actor="t"
        )
    assert raised.value.http_status == 507 and raised.value.retryable


def test_a_lease_of_this_process_left_by_an_ended_stage_is_released_and_one_in_use_is_kept(
    runtime: Runtime, scan: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stage whose failure could not be written (the catalogue's disk full) ends holding its lease,
    with its thread alive: the embedded sweeper releases it at once. A stage still at work keeps it."""
    queued: list[tuple[str, str]] = []
    quiet = Runtime(settings=runtime.settings, db=runtime.db, store=runtime.store)
    quiet.enqueue = lambda task, doc_id: queued.append((task, doc_id))  # type: ignore[method-assign]
    [doc] = _upload(quiet, scan).documents
    queued.clear()
    at_work, release = threading.Event(), threading.Event()

    def slow_ocr(rt: Runtime, document_id: str) -> None:
        at_work.set()
        release.wait(timeout=30)
        raise OSError("the catalogue cannot be written")  # and neither can the failure, below

    def unrecordable(*_args: object, **_kwargs: object) -> None:
        raise OSError("the catalogue cannot be written")

    monkeypatch.setitem(tasks._STAGES, "ocr", slow_ocr)
    monkeypatch.setattr(tasks, "_fail", unrecordable)
    ended, finish = threading.Event(), threading.Event()

    def in_process_worker() -> None:  # like the in-process queue's: the thread lives on after its job
        with contextlib.suppress(OSError):
            run_task(quiet, "ocr", doc.id)
        ended.set()
        finish.wait(timeout=60)

    worker = threading.Thread(target=in_process_worker, daemon=True)
    worker.start()
    assert at_work.wait(timeout=30)
    assert sweep(quiet, stuck_after=timedelta(hours=1)) == [] and queued == []  # at work: its lease stays
    with quiet.db.session() as session:
        assert get_document(session, doc.id).lease_owner is not None
    release.set()
    assert ended.wait(timeout=30)
    try:
        with quiet.db.session() as session:
            left = get_document(session, doc.id)
            assert (left.state, left.lease_owner is not None) == (DocumentState.RECEIVED, True)
        assert sweep(quiet, stuck_after=timedelta(hours=1)) == [("ocr", doc.id)] == queued
        with quiet.db.session() as session:
            assert get_document(session, doc.id).lease_owner is None
    finally:
        finish.set()
        worker.join(timeout=30)

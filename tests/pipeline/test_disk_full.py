"""A full disk: uploads answer 507, readiness says so, nothing accepted is lost, and once space
returns the same files are archived, each once.

Two variants. On a real, small tmpfs holding the whole data dir (SQLite catalogue, folder store,
work area) under a real ``sohoa serve``: the disk fills while a document is half-way through OCR and
while an upload is being read. Mounting needs root and a kernel that lets this process mount; where
that is refused the variant is skipped with the reason. The other variant always runs, in process:
the store's writes fail with an injected ``ENOSPC`` and the floor is set above the real free space.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from sohoa.api.app import create_app
from sohoa.core.domain import DocumentState, PageImage, PageText, Role
from sohoa.core.settings import Settings
from sohoa.ingest.ocr_engines import FakeOcrEngine
from sohoa.pipeline.intake import accept_paths
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.sweeper import sweep
from sohoa.pipeline.tasks import run_task
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage import localstore
from sohoa.storage.accounts import create_token, create_user
from tests.support.codes import PROCEDURE
from tests.support.live_server import LiveServer, live_server
from tests.support.pipeline_watch import distinct_scans, documents, settled, sha256_of, wait_for

S = DocumentState
DISK_MB = 64
FLOOR_MB = 2
_MB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of DISK_MB MiB, unmounted afterwards; skipped where this process may not mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected-ENOSPC variant covers the rest")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the injected-ENOSPC variant still runs")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(filler: Path, leave_bytes: int) -> None:
    """Write ``filler`` until only about ``leave_bytes`` are free on its filesystem (or none)."""
    with filler.open("ab") as out:
        while (free := shutil.disk_usage(filler.parent).free) > leave_bytes:
            try:
                out.write(b"\0" * min(_MB, free - leave_bytes))
                out.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                return


def _noise_png(path: Path, side: int) -> Path:
    """A page that does not compress: its PNG is about side * side * 3 bytes."""
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(path, dpi=(300, 300))
    return path


def _ready(server: LiveServer) -> httpx.Response:
    return httpx.get(server.url + "/readyz", timeout=60)


def _archived_once(rt: Runtime, paths: list[Path]) -> None:
    docs = documents(rt)
    for path in paths:
        mine = [(d.state, d.reason_code) for d in docs if d.original_sha256 == sha256_of(path)]
        assert mine == [(S.ARCHIVED, None)], (path.name, mine)


def test_a_full_tmpfs_answers_507_loses_nothing_and_archives_once_space_returns(
    small_disk: Path, tmp_path: Path
) -> None:
    data_dir = small_disk / "var"
    env = {
        "SOHOA_OCR_ENGINE": "tests.support.pause_points:PausingOcrEngine",
        "SOHOA_OCR_PROCESSES": "1",
        "SOHOA_REVIEW_POLICY": "never",
        "SOHOA_MIN_FREE_MB": str(FLOOR_MB),
        "SOHOA_SWEEP_INTERVAL": "1",
    }
    scans = tmp_path / "scans"
    filler = small_disk / "filler"
    with live_server(data_dir, env, notes=tmp_path) as server:
        server.start("ocr")  # the first page read waits, so the disk fills under a document in flight
        accepted = distinct_scans(scans, "a", 3)
        answer = server.upload(accepted, procedure_code=PROCEDURE)
        assert answer.status_code == 201 and answer.json()["rejected"] == [], answer.text
        server.wait_paused("ocr")

        # Above the floor, but an upload larger than what is left: it fills the disk while being read.
        _fill(filler, (FLOOR_MB + 1) * _MB)
        big = _noise_png(scans / "big.png", 1200)  # ~4 MiB
        refused = server.upload([big], procedure_code=PROCEDURE)
        assert refused.status_code == 507, refused.text
        assert refused.json()["code"] == "insufficient_storage"
        assert _ready(server).json()["checks"]["disk"] == "ok"  # the floor is not reached: a retry may fit

        # Full: new uploads are refused before they are read, readiness says why, the OCR in flight fails.
        _fill(filler, 0)
        ready = _ready(server)
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert ready.json()["checks"]["disk"].startswith("error: only 0 MB free")
        later = distinct_scans(scans, "b", 2)
        refused = server.upload(later, procedure_code=PROCEDURE)
        assert (refused.status_code, refused.json()["code"]) == (507, "insufficient_storage")
        server.release("ocr")
        rt = open_runtime(Settings(data_dir=data_dir), with_queue=False)
        try:
            wait_for("the documents in flight stopped by the full disk", lambda: settled(rt), timeout=30)
            stopped = [(d.state, d.reason_code) for d in documents(rt)]
            assert stopped == [(S.FAILED, "insufficient_storage")] * 3, [d.reason_message for d in documents(rt)]

            # Space returns: the same documents resume by themselves, and the refused files are accepted.
            filler.unlink()
            wait_for("readiness once space returns", lambda: _ready(server).status_code == 200)
            answer = server.upload([*later, big], procedure_code=PROCEDURE)
            assert answer.status_code == 201 and answer.json()["rejected"] == [], answer.text
            wait_for("every document archived", lambda: settled(rt))
            _archived_once(rt, [*accepted, *later, big])
            assert len(documents(rt)) == 6
        finally:
            rt.close()
        server.stop()


class _Jobs:
    """The queue of an embedded runtime, run by the test when it chooses."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, str]] = []

    def enqueue(self, task: str, document_id: str) -> None:
        self.pending.append((task, document_id))

    def run(self, rt: Runtime) -> None:
        while self.pending:
            run_task(rt, *self.pending.pop(0))


@dataclass
class _FullDiskEngine:
    """The fake OCR engine on a disk that may be full: its page files cannot be written then."""

    full: bool = False

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device", str(work_dir / "ocr-00000.pdf"))
        return FakeOcrEngine().ocr_page(image, work_dir, languages=languages)


def test_an_injected_enospc_answers_507_loses_nothing_and_archives_once_space_returns(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = open_runtime(settings, with_queue=False)
    jobs, engine = _Jobs(), _FullDiskEngine()
    rt.queue, rt._engine = jobs, engine
    with rt.db.session() as session:
        token = create_token(session, create_user(session, "lan", Role.UPLOADER, actor="test"), actor="test")
    headers = {"Authorization": f"Bearer {token}"}

    def upload(client: TestClient, paths: list[Path]) -> httpx.Response:
        files = [("files", (p.name, p.read_bytes(), "image/png")) for p in paths]
        return client.post("/api/v1/uploads", headers=headers, data={"procedure_code": PROCEDURE}, files=files)

    def no_space(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    accepted = distinct_scans(tmp_path / "scans", "a", 3)
    later = distinct_scans(tmp_path / "scans", "b", 2)
    try:
        with TestClient(create_app(runtime=rt)) as client:
            answer = upload(client, accepted)
            assert answer.status_code == 201 and answer.json()["rejected"] == [], answer.text

            # The disk fills: the store's writes and the OCR engine's page files fail with ENOSPC.
            with monkeypatch.context() as full:
                full.setattr(localstore, "copy_hashing", no_space)
                engine.full = True
                refused = upload(client, later)
                assert (refused.status_code, refused.json()["code"]) == (507, "insufficient_storage")
                rt.settings.min_free_mb = shutil.disk_usage(settings.data_dir).free // _MB + 10_000
                ready = client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["checks"]["disk"].startswith("error: only")
                refused = upload(client, later)  # refused before its body is read
                assert (refused.status_code, refused.json()["code"]) == (507, "insufficient_storage")
                first = jobs.pending[0][1]
                run_task(rt, *jobs.pending.pop(0))  # OCR: its page cannot be written
                engine.full = False
                jobs.run(rt)  # the others get further, until the store refuses their output
                stopped = [(d.state, d.reason_code) for d in documents(rt)]
                assert stopped == [(S.FAILED, "insufficient_storage")] * 3, [d.reason_message for d in documents(rt)]
                assert sweep(rt, stuck_after=timedelta(hours=1)) == [] and not jobs.pending  # still full

            # Space returns: the same documents resume, and the refused files are accepted.
            rt.settings.min_free_mb = 1
            assert client.get("/readyz").json()["checks"]["disk"] == "ok"
            assert ("ocr", first) in sweep(rt, stuck_after=timedelta(hours=1))
            jobs.run(rt)
            answer = upload(client, [*later, *accepted])
            assert answer.status_code == 201 and answer.json()["rejected"] == [], answer.text
            jobs.run(rt)
        _archived_once(rt, [*accepted, *later])
        assert len(documents(rt)) == 5
    finally:
        rt.close()


def test_a_stage_stopped_by_the_catalogues_full_disk_is_retried_once_space_returns(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite says "database or disk is full" (SQLITE_FULL) when its own file cannot grow: the
    document waits for space like one whose work area was full, not as a failure of its own."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from sohoa.pipeline.stages import ocr

    rt = open_runtime(settings, with_queue=False)
    jobs = _Jobs()
    rt.queue = jobs
    try:
        [scan] = distinct_scans(tmp_path / "scans", "c", 1)
        [doc] = accept_paths(rt, [scan], procedure_code=PROCEDURE, actor="tester").documents

        def catalogue_full(*_args: object, **_kwargs: object) -> None:
            full = sqlite3.OperationalError("database or disk is full")
            full.sqlite_errorcode = 13  # type: ignore[attr-defined]  # what sqlite3 sets on SQLITE_FULL
            raise OperationalError("UPDATE documents SET ...", {}, full)

        with monkeypatch.context() as patch:
            patch.setattr(ocr, "transition", catalogue_full)
            jobs.run(rt)
        [stopped] = documents(rt)
        assert (stopped.state, stopped.reason_code) == (S.FAILED, "insufficient_storage"), stopped.reason_message
        rt.settings.min_free_mb = 1
        assert sweep(rt, stuck_after=timedelta(hours=1)) == [("ocr", doc.id)]
        jobs.run(rt)
        _archived_once(rt, [scan])
    finally:
        rt.close()

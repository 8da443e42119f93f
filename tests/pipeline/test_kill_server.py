"""kill -9 of the embedded server at every stage: nothing accepted is lost, archived twice, or stuck.

One data dir, one real ``sohoa serve`` process killed with SIGKILL four times in a row, each time at
chosen points (``tests.support.pause_points``): inside an upload's transaction (with a second upload
half sent) while the worker is in the middle of OCR; after a signature was made; after the archive
object was written; after the archive state moved. Then it is started once more and must, by itself: finish every
document it answered 201 for, archive each exactly once, accept every file again (as a duplicate of
its archived document, or anew when the kill took it before it committed), and leave nothing of the
crashes behind once ``SOHOA_LEFTOVER_GRACE`` has passed. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sohoa.core.domain import DocumentState
from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.records import EventRecord, OriginalRecord
from tests.support.codes import PROCEDURE
from tests.support.live_server import LiveServer, live_server
from tests.support.pipeline_watch import distinct_scans, documents, settled, sha256_of, wait_for

S = DocumentState


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str | None:
    return request.getfixturevalue("pg_url") if request.param == "postgresql" else None


def _accepted(answer: httpx.Response, paths: list[Path]) -> dict[str, str]:
    """The upload was answered 201 with every file taken as a new document: filename -> id."""
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["rejected"] == []
    ids = {d["filename"]: d["id"] for d in body["documents"] if d["duplicate_of"] is None}
    assert sorted(ids) == sorted(p.name for p in paths), body
    return ids


def _half_sent_upload(server: LiveServer, paths: list[Path]) -> socket.socket:
    """An upload whose last bytes never come: the server is spooling it when it dies."""
    boundary = secrets.token_hex(8)
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{p.name}"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + p.read_bytes()
        + b"\r\n"
        for p in paths
    )
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="procedure_code"\r\n\r\n{PROCEDURE}\r\n'.encode() + body
    )
    body += f"--{boundary}--\r\n".encode()
    head = (
        f"POST /api/v1/uploads HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Authorization: Bearer {server.token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(head + body[: len(body) - len(paths[-1].read_bytes()) // 2])
    return sock


def _spooling(work: Path) -> bool:
    requests = work / "requests"
    return requests.is_dir() and any(f.is_file() and f.stat().st_size > 0 for f in requests.rglob("*"))


def _leftovers(rt: Runtime) -> list[str]:
    """Whatever a crash left that no document needs any more."""
    work = rt.settings.work_dir
    spools = ("requests", "incoming")  # their folders stay; what is in them must go
    found = [str(p) for p in work.iterdir() if p.name not in spools]
    found += [str(p) for name in spools if (work / name).is_dir() for p in (work / name).iterdir()]
    found += [str(p) for p in rt.settings.store_dir.rglob("*.tmp")]
    docs = documents(rt)
    named = {d.original_key for d in docs}
    found += [key for key in rt.store.list("originals/") if key not in named]
    found += list(rt.store.list("work/"))
    ids = {d.id for d in docs}
    with rt.db.session() as session:
        found += [f"claim {c.sha256}" for c in session.scalars(select(OriginalRecord)) if c.document_id not in ids]
    return found


@pytest.fixture
def catalogue(tmp_path: Path, database_url: str | None) -> Iterator[Runtime]:
    settings = Settings(data_dir=tmp_path / "var", database_url=database_url)
    rt = open_runtime(settings, with_queue=False)  # the catalogue as the test reads it, beside the server
    try:
        yield rt
    finally:
        rt.close()


def test_kill_9_at_every_stage_loses_nothing_and_archives_each_file_once(
    tmp_path: Path, database_url: str | None, catalogue: Runtime
) -> None:
    env = {
        "SOHOA_OCR_ENGINE": "tests.support.pause_points:PausingOcrEngine",
        "SOHOA_OCR_PROCESSES": "1",
        "SOHOA_REVIEW_POLICY": "never",
        "SOHOA_LEFTOVER_GRACE": "1",
        **({"SOHOA_DATABASE_URL": database_url} if database_url else {}),
    }
    scans = tmp_path / "scans"
    accepted: dict[str, str] = {}  # every file the server answered 201 for -> its document
    every_file: list[Path] = []
    rt = catalogue
    with live_server(tmp_path / "var", env) as server:
        # 1. Intake and OCR (an upload's thread and the worker thread): one upload answered and
        # being read when the worker stops dead in OCR, one half sent, one killed inside b3's
        # transaction.
        server.start("intake:b3.png,ocr")
        batch_a = distinct_scans(scans, "a", 3)
        accepted |= _accepted(server.upload(batch_a, procedure_code=PROCEDURE), batch_a)
        assert server.wait_paused("ocr").startswith("ocr")
        half = distinct_scans(scans, "h", 2)
        sock = _half_sent_upload(server, half)
        wait_for("the half-sent upload spooling", lambda: _spooling(rt.settings.work_dir))
        batch_b = distinct_scans(scans, "b", 5)
        outcome: list[object] = []

        def upload_b() -> None:
            try:
                outcome.append(server.upload(batch_b, procedure_code=PROCEDURE))
            except httpx.HTTPError as exc:
                outcome.append(exc)

        uploading = threading.Thread(target=upload_b)
        uploading.start()
        assert server.wait_paused("intake").startswith("intake b3.png")
        server.kill()
        sock.close()
        uploading.join(timeout=30)
        assert outcome and isinstance(outcome[0], httpx.HTTPError), outcome  # never answered
        every_file += batch_a + half + batch_b

        # 2-4. A fresh upload answered 201 each time, then killed at the next stage it reaches.
        for number, pause in enumerate(("sign", "archive", "archived"), start=2):
            server.start(pause)
            batch = distinct_scans(scans, f"s{number}-", 2)
            accepted |= _accepted(server.upload(batch, procedure_code=PROCEDURE), batch)
            every_file += batch
            assert server.wait_paused(pause).startswith(pause)
            server.kill()

        # 5. Started again: it finishes everything by itself.
        server.start()
        wait_for("every document in flight finished", lambda: settled(rt))
        by_id = {d.id: d for d in documents(rt)}
        for name, doc_id in accepted.items():
            doc = by_id[doc_id]
            assert doc.state == S.ARCHIVED, (name, doc.state, doc.reason_code, doc.reason_message)
        shas = {d.original_sha256 for d in by_id.values()}
        assert not {sha256_of(p) for p in half} & shas  # partially spooled: simply absent
        assert sha256_of(batch_b[2]) not in shas  # killed before its transaction committed

        # Every file ever sent is accepted again: a duplicate of its archived document, or anew.
        answer = server.upload(every_file, procedure_code=PROCEDURE)
        assert answer.status_code == 201, answer.text
        assert answer.json()["rejected"] == []
        assert len(answer.json()["documents"]) == len(every_file)
        wait_for("the files taken anew archived", lambda: settled(rt))

        docs = documents(rt)
        for path in every_file:
            mine = [d for d in docs if d.original_sha256 == sha256_of(path)]
            assert [(d.state, d.reason_code) for d in mine] == [(S.ARCHIVED, None)], (path.name, mine)
        archived = [d for d in docs if d.state == S.ARCHIVED]
        assert len(archived) == len(every_file) == len(docs)
        pdfs = {key for key in rt.store.list("archive/") if key.endswith(".pdf")}
        assert pdfs == {d.archive_key for d in archived}  # one archive object each, no stray copy
        archiving = select(EventRecord.document_id).where(
            EventRecord.action == "document.state", EventRecord.to_state == "archived"
        )
        with rt.db.session() as session:
            moves = list(session.scalars(archiving))
        assert sorted(moves) == sorted(d.id for d in archived)  # one archiving each

        # Crash leftovers are gone once the grace period has passed (the start-up pass removes them).
        deadline = time.monotonic() + 15
        while (left := _leftovers(rt)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == []
        server.stop()

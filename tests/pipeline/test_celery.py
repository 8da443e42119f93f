"""Real Celery workers on real Redis and RabbitMQ, killed and starved, losing nothing.

Each test runs ``sohoa worker`` subprocesses against a throwaway PostgreSQL database and an S3
server on loopback, with the fake OCR engine (these tests are about delivery, not OCR).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from sohoa.core.settings import Settings
from sohoa.pipeline.intake import IncomingFile, accept_files
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.storage.records import DocumentRecord, EventRecord
from tests.support.codes import PROCEDURE as FULL_PROCEDURE
from tests.support.codes import short_code
from tests.support.corpus import REPO
from tests.support.services import need, port_open

pytestmark = [pytest.mark.postgres, pytest.mark.s3, pytest.mark.slow]

SOHOA = str(Path(sys.executable).with_name("sohoa"))
PROCEDURE = short_code(FULL_PROCEDURE)


def _png(seed: int) -> bytes:
    """A small distinct page: distinct bytes, so no upload is a duplicate of another."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("L", (600, 400), 255)
    ImageDraw.Draw(image).text((40, 40 + seed % 300), f"Giấy phép số {seed}", fill=0)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(100, 100))
    return out.getvalue()


def _broker(kind: str) -> str:
    if kind == "redis":
        need(port_open("127.0.0.1", 6379), "Redis at 127.0.0.1:6379")
        # A database of its own per test run, so no message of another test is consumed.
        return f"redis://127.0.0.1:6379/{(os.getpid() + int(time.time())) % 14 + 1}"
    need(port_open("127.0.0.1", 5672), "RabbitMQ at 127.0.0.1:5672")
    return "amqp://guest:guest@127.0.0.1:5672//"


class Cluster:
    """Workers as separate processes, and a producer runtime in the test process."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.workers: list[subprocess.Popen[bytes]] = []
        settings = Settings(**{k.removeprefix("SOHOA_").lower(): v for k, v in env.items() if k.startswith("SOHOA_")})
        from sohoa.pipeline.celery_queue import make_celery

        make_celery(settings).control.purge()
        self.rt: Runtime = open_runtime(settings)

    def start_worker(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"worker-{name}.log").open("ab")
        proc = subprocess.Popen(
            [SOHOA, "worker", "--concurrency", "1", "--loglevel", "INFO"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO,
        )
        self.workers.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes]) -> None:
        os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool children, no goodbye
        proc.wait(timeout=10)

    def upload(self, count: int, *, start: int = 0) -> list[str]:
        import io

        files = [IncomingFile(f"kq-{i}.png", io.BytesIO(_png(i))) for i in range(start, start + count)]
        result = accept_files(self.rt, files, procedure_code=PROCEDURE, actor="tester")
        assert not result.rejected
        return [d.id for d in result.documents]

    def states(self, ids: list[str]) -> dict[str, str]:
        with self.rt.db.session() as session:
            rows = session.execute(select(DocumentRecord.id, DocumentRecord.state).where(DocumentRecord.id.in_(ids)))
            return dict(rows.tuples().all())

    def wait_for(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.5)
        logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in self.tmp_path.glob("worker-*.log"))
        raise AssertionError(f"timed out waiting for {what}; worker logs:\n{logs}")

    def wait_archived(self, ids: list[str], timeout: float) -> None:
        self.wait_for(lambda: set(self.states(ids).values()) == {"archived"}, timeout, "all documents archived")

    def assert_archived_exactly_once(self, ids: list[str]) -> None:
        with self.rt.db.session() as session:
            events = session.scalars(
                select(EventRecord).where(EventRecord.document_id.in_(ids), EventRecord.action == "document.state")
            ).all()
        per_doc = Counter((e.document_id, e.to_state) for e in events)
        doubled = {k: n for k, n in per_doc.items() if n > 1}
        assert not doubled, f"transitions recorded twice: {doubled}"
        assert sum(1 for (_doc, state) in per_doc if state == "archived") == len(ids)
        archived = [k for k in self.rt.store.list("archive/") if k.endswith(".pdf")]
        assert sorted(Path(k).stem for k in archived) == sorted(ids)

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.rt.close()


@pytest.fixture
def make_cluster(tmp_path: Path, pg_url: str, s3_endpoint) -> Iterator[Callable[..., Cluster]]:
    clusters: list[Cluster] = []

    def make(broker: str, *, s3=None, **overrides: str) -> Cluster:
        s3 = s3 or s3_endpoint
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
        env.update(
            PYTHONPATH=str(REPO),
            SOHOA_DATA_DIR=str(tmp_path / "var"),
            SOHOA_DATABASE_URL=pg_url,
            SOHOA_S3_ENDPOINT=s3.endpoint,
            SOHOA_S3_ACCESS_KEY=s3.access_key,
            SOHOA_S3_SECRET_KEY=s3.secret_key,
            SOHOA_S3_BUCKET=f"celery-{uuid.uuid4().hex[:10]}",
            SOHOA_S3_TIMEOUT="3",
            SOHOA_BROKER_URL=_broker(broker),
            SOHOA_OCR_ENGINE="tests.pipeline.engines:slow_fake",
            SOHOA_TEST_OCR_SECONDS="0",
            SOHOA_REVIEW_POLICY="never",
            SOHOA_VISIBILITY_TIMEOUT="5",
            SOHOA_LEASE_SECONDS="6",
            SOHOA_RETRY_BACKOFF="0.5",
            SOHOA_RETRY_BACKOFF_MAX="2",
            SOHOA_TASK_MAX_RETRIES="40",
            SOHOA_SWEEP_INTERVAL="3",
            SOHOA_STUCK_AFTER="12",
        )
        env.update(overrides)
        os.environ["SOHOA_TEST_OCR_SECONDS"] = env["SOHOA_TEST_OCR_SECONDS"]
        cluster = Cluster(tmp_path, env)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.close()
    os.environ.pop("SOHOA_TEST_OCR_SECONDS", None)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_killed_worker_mid_ocr_is_finished_by_a_restarted_worker(make_cluster, broker: str) -> None:
    # No sweeper here: the broker's redelivery alone must bring the job back.
    cluster = make_cluster(broker, SOHOA_TEST_OCR_SECONDS="4", SOHOA_SWEEP_INTERVAL="0")
    first = cluster.start_worker("a")
    [doc_id] = cluster.upload(1)

    def ocr_running() -> bool:
        with cluster.rt.db.session() as session:
            doc = session.get(DocumentRecord, doc_id)
            return doc is not None and doc.state == "received" and doc.lease_owner is not None

    cluster.wait_for(ocr_running, 60, "the OCR task to start")
    cluster.kill(first)
    assert cluster.states([doc_id]) == {doc_id: "received"}
    cluster.start_worker("b")
    cluster.wait_archived([doc_id], 90)
    cluster.assert_archived_exactly_once([doc_id])


@pytest.mark.timeout(240)
def test_object_store_outage_makes_documents_wait_then_complete(make_cluster, tmp_path: Path) -> None:
    from tests.support.s3server import MotoServer

    server = MotoServer()
    server.start()
    try:
        cluster = make_cluster("redis", s3=server.endpoint)
        cluster.start_worker("a")
        ids = cluster.upload(4)
        server.pause()
        time.sleep(8)
        assert "archived" not in set(cluster.states(ids).values())
        server.resume()
        cluster.wait_archived(ids, 180)
        cluster.assert_archived_exactly_once(ids)
    finally:
        server.stop()


@pytest.mark.timeout(240)
def test_database_connections_terminated_mid_batch_lose_nothing(make_cluster, pg_url: str) -> None:
    import psycopg

    cluster = make_cluster("redis", SOHOA_TEST_OCR_SECONDS="0.5")
    cluster.start_worker("a")
    cluster.start_worker("b")
    ids = cluster.upload(12)
    dbname = pg_url.rsplit("/", 1)[1]
    for _ in range(3):
        time.sleep(2)
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (dbname,),
            )
    cluster.wait_archived(ids, 180)
    cluster.assert_archived_exactly_once(ids)


# 200 documents on Redis with SOHOA_FULL_SWEEP=1; 60 on each broker within CI's time.
_MANY = 200 if os.environ.get("SOHOA_FULL_SWEEP") == "1" else 60


@pytest.mark.timeout(420)
@pytest.mark.parametrize(("broker", "count"), [("redis", _MANY), ("rabbitmq", 60)])
def test_many_documents_through_two_workers_each_archived_once(make_cluster, broker: str, count: int) -> None:
    cluster = make_cluster(broker)
    cluster.start_worker("a")
    cluster.start_worker("b")
    ids = cluster.upload(count)
    assert len(set(ids)) == count
    cluster.wait_archived(ids, 360)
    cluster.assert_archived_exactly_once(ids)

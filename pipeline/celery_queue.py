"""Celery behind the job queue interface: the only module that imports celery.

Jobs carry a task name and a document id (JSON, never pickles). OCR runs on its own queue so
signing never waits behind a long OCR job. Redelivery is made real by late acks, rejecting
on a lost worker and a prefetch of one; a Redis visibility timeout brings back the job of a
SIGKILLed worker, and the sweeper covers whatever a broker loses.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown
from kombu import Connection, Queue

from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.tasks import TransientFailure, run_task

__all__ = ["QUEUE_OF_TASK", "CeleryQueue", "make_celery", "probe_queue"]

log = logging.getLogger(__name__)

QUEUE_OF_TASK = {"ocr": "ocr", "extract": "sign", "sign": "sign", "archive": "sign"}
_TASK_NAME = "sohoa.run_stage"


class _ProcessRuntime:
    """One runtime per worker process, opened on its first job (after the fork), closed at exit."""

    def __init__(self, factory: Callable[[], Runtime]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._runtime: Runtime | None = None

    def get(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self._factory()
            return self._runtime

    def close(self, **_kwargs: Any) -> None:
        if self._runtime is not None:
            self._runtime.close()


def make_celery(settings: Settings, *, runtime_factory: Callable[[], Runtime] | None = None) -> Celery:
    """The Celery app; a worker's needs ``runtime_factory`` (a producer only sends jobs)."""
    app = Celery("sohoa", broker=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="sign",
        task_queues=(Queue("ocr"), Queue("sign")),
        task_routes={_TASK_NAME: {"queue": "sign"}},
        broker_connection_retry_on_startup=True,
        # Longer than the longest task, but bounded: a killed worker's job returns after it.
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            # Kombu scans for jobs past their visibility timeout only every interval x throttle
            # seconds (100 s by default): look every few seconds so a killed worker's job returns
            # soon after its timeout; the scan is one cheap sorted-set range query.
            "unacked_restore_interval": max(1, min(10, settings.visibility_timeout // 5)),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
    )

    if runtime_factory is None:
        return app
    process = _ProcessRuntime(runtime_factory)
    worker_process_shutdown.connect(process.close, weak=False)

    @app.task(name=_TASK_NAME, bind=True, max_retries=settings.task_max_retries)
    def run_stage(self: Any, task: str, document_id: str) -> None:
        try:
            run_task(process.get(), task, document_id, final_attempt=self.request.retries >= self.max_retries)
        except TransientFailure as exc:
            # Store or database unreachable: wait and retry with backoff; bad input is never retried.
            countdown = min(settings.retry_backoff_max, settings.retry_backoff * 2**self.request.retries)
            log.warning("transient failure on %s %s, retry in %ss: %s", task, document_id, countdown, exc)
            raise self.retry(exc=exc, countdown=countdown) from exc

    return app


def probe_queue(rt: Runtime) -> str:
    """``ok``, or why jobs cannot reach the broker now (kombu's own connection check, bounded)."""
    url = rt.settings.broker_url
    if not url:
        return "ok"  # in-process queue: it lives and dies with this process
    connection = Connection(url, connect_timeout=2)
    try:
        connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises the transport's own errors: report, never raise
        # host:port only: the URL may carry the broker's password
        return f"error: broker {connection.host} unreachable ({type(exc).__name__})"
    finally:
        connection.release()
    return "ok"


class CeleryQueue:
    def __init__(self, settings: Settings) -> None:
        self.app = make_celery(settings)

    def enqueue(self, task: str, document_id: str) -> None:
        self.app.send_task(_TASK_NAME, args=[task, document_id], queue=QUEUE_OF_TASK[task])

    def close(self) -> None:
        self.app.close()

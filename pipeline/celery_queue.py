"""Celery behind the job queue interface: the only module that imports celery.

Jobs carry a task name and a document id (JSON, never pickles). OCR runs on its own queue so
signing never waits behind a long OCR job. Redelivery is made real by late acks, rejecting
on a lost worker and a prefetch of one; a Redis visibility timeout brings back the job of a
SIGKILLed worker, and the sweeper covers whatever a broker loses.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown
from kombu import Queue

from sohoa.core.settings import Settings

__all__ = ["QUEUE_OF_TASK", "CeleryQueue", "make_celery"]

log = logging.getLogger(__name__)

QUEUE_OF_TASK = {"ocr": "ocr", "extract": "sign", "sign": "sign", "archive": "sign"}
_TASK_NAME = "sohoa.run_stage"

_runtime_lock = threading.Lock()
_runtime: Any = None


def _worker_runtime() -> Any:
    """One runtime per worker process: the signer key is opened once, not per document."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from sohoa.core.settings import get_settings
            from sohoa.pipeline.runtime import open_runtime

            settings = get_settings()
            # A Celery prefork child may not start processes of its own: OCR runs inline, one page
            # after another, and a machine scales by worker concurrency instead.
            settings.ocr_processes = 1
            _runtime = open_runtime(settings)
        return _runtime


@worker_process_shutdown.connect
def _close_runtime(**_kwargs: Any) -> None:
    if _runtime is not None:
        _runtime.close()


def make_celery(settings: Settings) -> Celery:
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

    @app.task(name=_TASK_NAME, bind=True, max_retries=settings.task_max_retries)
    def run_stage(self: Any, task: str, document_id: str) -> None:
        from sohoa.pipeline.tasks import TransientFailure, run_task

        try:
            run_task(_worker_runtime(), task, document_id, final_attempt=self.request.retries >= self.max_retries)
        except TransientFailure as exc:
            # Store or database unreachable: wait and retry with backoff; bad input is never retried.
            countdown = min(settings.retry_backoff_max, settings.retry_backoff * 2**self.request.retries)
            log.warning("transient failure on %s %s, retry in %ss: %s", task, document_id, countdown, exc)
            raise self.retry(exc=exc, countdown=countdown) from exc

    return app


class CeleryQueue:
    def __init__(self, settings: Settings) -> None:
        self.app = make_celery(settings)

    def enqueue(self, task: str, document_id: str) -> None:
        self.app.send_task(_TASK_NAME, args=[task, document_id], queue=QUEUE_OF_TASK[task])

    def close(self) -> None:
        self.app.close()


def celery_app_from_env() -> Celery:
    """For ``celery -A pipeline.celery_queue:celery_app_from_env worker`` style launches."""
    from sohoa.core.settings import get_settings

    settings = get_settings()
    if not settings.broker_url:
        raise RuntimeError("SOHOA_BROKER_URL is not set")
    os.environ.setdefault("FORKED_BY_MULTIPROCESSING", "1")
    return make_celery(settings)

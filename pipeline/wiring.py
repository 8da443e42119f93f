"""The one place that assembles a runtime: catalogue, object store, and the queue its jobs go to
(in-process workers in the embedded default, Celery when a broker is configured).

It sits above the stages and the queues so that none of them needs to know how it was built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sohoa.core.settings import Settings
from sohoa.pipeline.celery_queue import CeleryQueue, make_celery
from sohoa.pipeline.queue import InProcessQueue
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.tasks import run_task
from sohoa.storage.database import Database
from sohoa.storage.permissions import private_mkdir
from sohoa.storage.stores import open_object_store

if TYPE_CHECKING:
    from celery import Celery  # celery itself is imported by celery_queue only

__all__ = ["open_runtime", "worker_app"]


def open_runtime(settings: Settings, *, with_queue: bool = True) -> Runtime:
    """A runtime on ``settings`` (the catalogue migrated first); with a queue unless told not to."""
    private_mkdir(settings.data_dir)  # the data of a department's citizens: its user's alone
    private_mkdir(settings.work_dir)
    runtime = Runtime(settings=settings, db=Database(settings.db_url), store=open_object_store(settings))
    if with_queue:
        if settings.broker_url:
            runtime.queue = CeleryQueue(settings)
        else:
            runtime.queue = InProcessQueue(lambda task, doc_id: run_task(runtime, task, doc_id))
    return runtime


def worker_app(settings: Settings) -> Celery:
    """The Celery app a ``sohoa worker`` runs: each worker process opens one runtime of its own."""

    def worker_runtime() -> Runtime:
        # A Celery prefork child may not start processes of its own: OCR runs inline, one page
        # after another, and a machine scales by worker concurrency instead.
        own = settings.model_copy(update={"ocr_processes": 1})
        return open_runtime(own)

    return make_celery(settings, runtime_factory=worker_runtime)

"""What a process needs to run sohoa: settings, catalogue, object store, queue, signer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sohoa.core.settings import Settings
from sohoa.storage.database import Database, upgrade_database
from sohoa.storage.objectstore import ObjectStore
from sohoa.storage.stores import open_object_store

if TYPE_CHECKING:
    from sohoa.ingest.ocr_engines import OcrEngine
    from sohoa.pipeline.queue import JobQueue

__all__ = ["ProgressHook", "Runtime", "migrate_catalogue", "open_runtime"]

# (document_id, pages_done, pages_total)
ProgressHook = Callable[[str, int, int], None]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: ObjectStore
    queue: JobQueue | None = None
    progress: ProgressHook | None = None
    _signer: Any = field(default=None, repr=False)
    _engine: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def signer(self) -> Any:
        """The signer backend, opened once per process and reused (key parsing is costly)."""
        with self._lock:
            if self._signer is None:
                from sohoa.signing.backends import load_signer

                self._signer = load_signer(self.settings)
            return self._signer

    def replace_signer(self, backend: Any) -> None:
        """Swap in a freshly opened signer (a replaced key file or renewed certificate), closing the old one."""
        with self._lock:
            old, self._signer = self._signer, backend
        close = getattr(old, "close", None)
        if close is not None and old is not backend:
            close()

    def ocr_engine(self) -> OcrEngine:
        with self._lock:
            if self._engine is None:
                from sohoa.ingest.ocr_engines import load_engine

                self._engine = load_engine(self.settings)
            return self._engine

    def enqueue(self, task: str, document_id: str) -> None:
        if self.queue is not None:
            self.queue.enqueue(task, document_id)

    def close(self) -> None:
        close = getattr(self.queue, "close", None)
        if close is not None:
            close()
        self.db.dispose()


def migrate_catalogue(settings: Settings) -> None:
    """Create or migrate the catalogue to the latest schema (every runtime also does so when it opens)."""
    upgrade_database(settings.db_url)


def open_runtime(settings: Settings, *, with_queue: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    runtime = Runtime(settings=settings, db=Database(settings.db_url), store=open_object_store(settings))
    if with_queue:
        if settings.broker_url:
            from sohoa.pipeline.celery_queue import CeleryQueue

            runtime.queue = CeleryQueue(settings)
        else:
            from sohoa.pipeline.queue import InProcessQueue
            from sohoa.pipeline.tasks import run_task

            runtime.queue = InProcessQueue(lambda task, doc_id: run_task(runtime, task, doc_id))
    return runtime

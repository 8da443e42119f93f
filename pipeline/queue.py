"""The job queue interface, and the in-process implementation of the embedded default.

A job is a task name and a document id, nothing else: workers read everything they
need from the catalogue, so a job can be redelivered or re-run at any time.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["TASKS", "InProcessQueue", "JobQueue"]

log = logging.getLogger(__name__)

# Pipeline order; "ocr" is CPU-heavy, the rest are fast.
TASKS = ("ocr", "extract", "sign", "archive")


class JobQueue(Protocol):
    def enqueue(self, task: str, document_id: str) -> None: ...


class InProcessQueue:
    """Runs jobs on worker threads of this process (OCR itself fans out to a process pool)."""

    def __init__(self, execute: Callable[[str, str], None], *, threads: int = 1) -> None:
        self._execute = execute
        self._jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"sohoa-worker-{i}", daemon=True) for i in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, task: str, document_id: str) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}")
        self._jobs.put((task, document_id))

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                self._execute(*job)
            except Exception:  # the task records its own failure; keep the worker alive
                log.exception("job %s failed", job)
            finally:
                self._jobs.task_done()

    def join(self) -> None:
        """Wait until every job, including those enqueued by jobs, has run."""
        self._jobs.join()

    def pending(self) -> int:
        return self._jobs.unfinished_tasks

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

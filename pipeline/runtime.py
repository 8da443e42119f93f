"""What a process needs to run sohoa: settings, catalogue, object store, queue, signer, OCR engine,
and the signer's last check. ``sohoa.pipeline.wiring`` builds it; everything else only uses it."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from sohoa.core.settings import Settings
from sohoa.storage.database import Database, upgrade_database
from sohoa.storage.objectstore import ObjectStore

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sohoa.ingest.ocr_engines import OcrEngine
    from sohoa.pipeline.queue import JobQueue
    from sohoa.pipeline.signing_ops.health import SignerHealth
    from sohoa.signing.backends import SignerBackend

__all__ = ["ProgressHook", "Runtime", "migrate_catalogue", "session_action", "worker_identity"]

# (document_id, pages_done, pages_total)
ProgressHook = Callable[[str, int, int], None]


def worker_identity() -> str:
    """Who holds a lease: this machine, process and thread (a lease outlives none of them)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: ObjectStore
    queue: JobQueue | None = None
    progress: ProgressHook | None = None
    # The signer's last check (a real test signature), kept for a few minutes; one check at a time.
    signer_health: SignerHealth | None = field(default=None, repr=False)
    signer_check_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _signer: SignerBackend | None = field(default=None, repr=False)
    _engine: OcrEngine | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def signer(self) -> SignerBackend:
        """The signer backend, opened once per process and reused (key parsing is costly)."""
        with self._lock:
            if self._signer is None:
                from sohoa.signing.backends import load_signer  # opened on first use: most commands never sign

                self._signer = load_signer(self.settings)
            return self._signer

    def replace_signer(self, backend: SignerBackend) -> None:
        """Swap in a freshly opened signer (a replaced key file or renewed certificate), closing the old one."""
        with self._lock:
            old, self._signer = self._signer, backend
        if old is not None and old is not backend:
            old.close()

    def ocr_engine(self) -> OcrEngine:
        with self._lock:
            if self._engine is None:
                from sohoa.ingest.ocr_engines import load_engine  # tesseract is found on first use

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


P = ParamSpec("P")
T = TypeVar("T")


def session_action(fn: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Runtime, P], T]:
    """``fn``, a registry or storage function that needs nothing but a session, offered as an action on
    the runtime in one unit of work. An action that would only open the session and pass its own
    arguments on is this, so its parameters are written once, where the rule is."""

    @wraps(fn)
    def action(rt: Runtime, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with rt.db.session() as session:
            return fn(session, *args, **kwargs)

    return action


def migrate_catalogue(settings: Settings) -> None:
    """Create or migrate the catalogue to the latest schema (every runtime also does so when it opens)."""
    upgrade_database(settings.db_url)

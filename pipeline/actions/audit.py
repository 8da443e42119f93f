"""The audit log: recording what people did (and were refused), and reading it back.

Refused requests go through ``RefusalLog``: a client that is refused the same thing again and again
(a script with a revoked token, a flood of forged requests) makes one event per minute with a count,
not one row per request, so the log stays readable and an attacker cannot fill the disk with it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sohoa.core.clock import utcnow
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.audit import AuditFilter, find_events, set_event_count
from sohoa.storage.catalogue import record_event
from sohoa.storage.records import EventRecord

__all__ = ["RefusalLog", "audit_event", "audit_page"]

log = logging.getLogger(__name__)


def audit_event(
    rt: Runtime, *, actor: str, action: str, document_id: str | None = None, details: dict[str, Any] | None = None
) -> None:
    """One event in the append-only log, in its own transaction."""
    with rt.db.session() as session:
        record_event(session, actor=actor, action=action, document_id=document_id, details=details)


def audit_page(rt: Runtime, flt: AuditFilter, *, limit: int, offset: int) -> tuple[list[EventRecord], int]:
    """Events matching ``flt``, newest first, and how many match in all."""
    with rt.db.session() as session:
        found, total = find_events(session, flt, limit=limit, offset=offset)
        return list(found), total


@dataclass
class _Window:
    event_id: int
    opened: float
    count: int = 1
    written: int = 1
    last_at: datetime | None = None


class RefusalLog:
    """Refusals, folded: the first of a kind within ``window`` seconds is an event at once (``count``
    1); identical ones after it (same actor, action and details, which name the client) raise that
    event's ``count`` and ``last_at``, written at most every ``flush_every`` seconds and when the
    window closes or the process stops."""

    def __init__(
        self,
        rt: Runtime,
        *,
        window: float = 60.0,
        flush_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rt = rt
        self.window = window
        self.flush_every = flush_every
        self._clock = clock
        self._open: dict[str, _Window] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher: threading.Thread | None = None

    def record(self, *, actor: str, action: str, details: dict[str, Any]) -> None:
        key = json.dumps([actor, action, details], sort_keys=True, default=str)
        now = self._clock()
        with self._lock:
            window = self._open.get(key)
            if window is not None and now - window.opened < self.window:
                window.count += 1
                window.last_at = utcnow()
                self._start_flusher()
                return
            closed = self._open.pop(key, None)
        if closed is not None:
            self._write_count(closed)
        with self.rt.db.session() as session:
            event = record_event(session, actor=actor, action=action, details={**details, "count": 1})
            session.flush()
            event_id = event.id
        with self._lock:
            self._open[key] = _Window(event_id, now)
            self._drop_closed(now)

    def _drop_closed(self, now: float) -> None:
        """Forget windows that closed with nothing left to write (called with the lock held)."""
        for key in [k for k, w in self._open.items() if now - w.opened >= self.window and w.count == w.written]:
            del self._open[key]

    def _write_count(self, window: _Window) -> None:
        if window.count == window.written or window.last_at is None:
            return
        count = window.count
        with self.rt.db.session() as session:
            set_event_count(session, window.event_id, count, window.last_at)
        window.written = count

    def flush(self) -> None:
        """Write every pending count now."""
        with self._lock:
            pending = [w for w in self._open.values() if w.count != w.written]
        for window in pending:
            self._write_count(window)
        with self._lock:
            self._drop_closed(self._clock())

    def _start_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_loop, name="refusal-audit", daemon=True)
            self._flusher.start()

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_every):
            try:
                self.flush()
            except Exception:  # the catalogue is away for a moment: the counts are written next time
                log.warning("refusal counts not written yet", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self.flush()

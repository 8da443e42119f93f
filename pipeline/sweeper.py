"""The sweeper: re-enqueue documents stuck in a processing state (a lost job, a dead worker).

Safe to run on several machines at once: a re-enqueued job that finds its document already
moved on, or held by a live lease, does nothing.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sohoa.core.domain import DocumentState
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.schedule import repeat
from sohoa.pipeline.tasks import STAGE_INPUTS
from sohoa.storage.catalogue import record_event, stuck_documents

__all__ = ["TASK_FOR_STATE", "start_sweeping", "sweep"]

log = logging.getLogger(__name__)

TASK_FOR_STATE: dict[DocumentState, str] = {state: task for task, states in STAGE_INPUTS.items() for state in states}


def sweep(rt: Runtime, *, stuck_after: timedelta, actor: str = "sweeper") -> list[tuple[str, str]]:
    """Enqueue the next task of every document unchanged for ``stuck_after`` and not leased."""
    with rt.db.session() as session:
        rows = stuck_documents(session, TASK_FOR_STATE, unchanged_for=stuck_after, limit=10_000)
        jobs = [(TASK_FOR_STATE[DocumentState(state)], doc_id) for doc_id, state in rows]
        if jobs:
            record_event(session, actor=actor, action="sweeper.requeued", details={"count": len(jobs)})
    for task, doc_id in jobs:
        rt.enqueue(task, doc_id)
    if jobs:
        log.info("sweeper re-enqueued %d documents", len(jobs))
    return jobs


def start_sweeping(rt: Runtime, *, interval: float, stuck_after: timedelta) -> threading.Event:
    """Sweep every ``interval`` seconds on a daemon thread; set the returned event to stop."""
    return repeat("sweeper", interval, lambda: sweep(rt, stuck_after=stuck_after))

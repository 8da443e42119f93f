"""The sweeper: re-enqueue documents stuck in a processing state (a lost job, a dead worker).

Safe to run on several machines at once: a re-enqueued job that finds its document already
moved on, or held by a live lease, does nothing.

A lease names its holder ``host:pid:thread`` (``worker_identity``). In embedded mode a holder on
this machine whose process (or, in this very process, whose thread) no longer exists is dead, and
so is a lease of this very process on a document none of its stages is on (``worked_on_here``):
its lease is released and the document re-enqueued at once, so a restarted embedded server
resumes every in-flight document instead of waiting for the lease and ``stuck_after`` to run
out. Leases of other machines, and all leases in scaled mode, are left to expire; an expired
lease makes its document eligible at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from sohoa.core.domain import DocumentState
from sohoa.core.errors import InsufficientStorage
from sohoa.pipeline.diskspace import has_free_space
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.schedule import repeat
from sohoa.pipeline.tasks import STAGE_INPUTS, worked_on_here
from sohoa.storage.catalogue import (
    failed_documents,
    leased_documents,
    record_event,
    release_document,
    stuck_documents,
    transition,
)

__all__ = ["TASK_FOR_STATE", "lease_holder_is_dead", "start_sweeping", "sweep"]

log = logging.getLogger(__name__)

TASK_FOR_STATE: dict[DocumentState, str] = {state: task for task, states in STAGE_INPUTS.items() for state in states}
_LIMIT = 10_000


def lease_holder_is_dead(owner: str, *, host: str | None = None) -> bool:
    """True only when ``owner`` (``host:pid:thread``) is known to be gone: a process of this
    machine that does not exist, or a thread of this process that does not run."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3:
        return False  # not one of our identities: leave it to expire
    owner_host, pid_text, thread_text = parts
    if owner_host != (host or socket.gethostname()) or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return not thread_text.isdigit() or int(thread_text) not in {t.ident for t in threading.enumerate()}
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # exists, under another user
    return False


def _left_behind_here(owner: str, document_id: str) -> bool:
    """A lease of this very process on a document none of its stages is on: a stage that ended
    without releasing it (its failure could not be written, the catalogue's disk being full)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or parts[1] != str(os.getpid()):
        return False
    return not worked_on_here(document_id)


def sweep(rt: Runtime, *, stuck_after: timedelta, actor: str = "sweeper") -> list[tuple[str, str]]:
    """Enqueue the next task of every document unchanged for ``stuck_after`` and not leased, of every
    document whose lease is held by a dead process of this machine, and of every document that
    failed on a full disk when space is back."""
    with rt.db.session() as session:
        released: list[tuple[str, str]] = []
        # Embedded mode only: containers of a scaled deployment may share a host name but not a
        # process table, where a live worker elsewhere would look dead. There, leases expire.
        leased = [] if rt.settings.broker_url else leased_documents(session, TASK_FOR_STATE, limit=_LIMIT)
        for doc_id, state, owner in leased:
            # Released by compare-and-set on the owner: a holder that moved on keeps its new lease.
            left = lease_holder_is_dead(owner) or _left_behind_here(owner, doc_id)
            if left and release_document(session, doc_id, owner=owner):
                released.append((doc_id, state))
        rows = stuck_documents(session, TASK_FOR_STATE, unchanged_for=stuck_after, limit=_LIMIT)
        seen = {doc_id for doc_id, _ in rows}
        rows += [row for row in released if row[0] not in seen]
        jobs = [(TASK_FOR_STATE[DocumentState(state)], doc_id) for doc_id, state in rows]
        if jobs:
            record_event(
                session,
                actor=actor,
                action="sweeper.requeued",
                details={"count": len(jobs), "dead_leases": len(released)},
            )
    jobs += _retry_out_of_space(rt, actor)
    for task, doc_id in jobs:
        rt.enqueue(task, doc_id)
    if jobs:
        log.info("sweeper re-enqueued %d documents (%d from dead lease holders)", len(jobs), len(released))
    return jobs


def _retry_out_of_space(rt: Runtime, actor: str) -> list[tuple[str, str]]:
    """Documents that failed on a full disk go back to the state they failed from, once the
    data dir is above the free-space floor again: the failure was the disk's, not theirs."""
    if not has_free_space(rt.settings):
        return []
    jobs: list[tuple[str, str]] = []
    with rt.db.session() as session:
        for doc_id, before in failed_documents(session, [InsufficientStorage.code], limit=_LIMIT):
            state = DocumentState(before)
            if state in TASK_FOR_STATE and transition(
                session,
                doc_id,
                expected=[DocumentState.FAILED],
                to=state,
                actor=actor,
                details={"retry": InsufficientStorage.code},
                reason_code=None,
                reason_message=None,
            ):
                jobs.append((TASK_FOR_STATE[state], doc_id))
    return jobs


def start_sweeping(rt: Runtime, *, interval: float, stuck_after: timedelta) -> threading.Event:
    """Sweep every ``interval`` seconds on a daemon thread; set the returned event to stop."""
    return repeat("sweeper", interval, lambda: sweep(rt, stuck_after=stuck_after))

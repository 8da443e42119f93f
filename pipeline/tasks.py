"""Stage tasks over a document id.

Each task reads its inputs from the object store and catalogue, runs a plain stage
function, writes outputs to the document's work area (``work/{document_id}/``) and moves
the state in one transaction with one event. A task for a document that is no longer in
the task's input state does nothing, so redelivered or repeated jobs are harmless.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected, InsufficientStorage, SohoaError, StorageError, insufficient_storage
from sohoa.pipeline.runtime import Runtime, worker_identity
from sohoa.pipeline.stages.archive import archive_stage
from sohoa.pipeline.stages.metadata import extract_stage
from sohoa.pipeline.stages.ocr import ocr_stage
from sohoa.pipeline.stages.signing import sign_stage
from sohoa.pipeline.stages.work import STAGE_INPUTS, leave_stage, work_dir
from sohoa.storage.catalogue import Claim, claim_document, get_document, release_document

__all__ = ["STAGE_INPUTS", "TransientFailure", "run_task", "work_dir", "worked_on_here", "worker_identity"]

log = logging.getLogger(__name__)


class TransientFailure(Exception):
    """The stage could not run for a reason that passes (store or database unreachable, lease held)."""


def _is_transient(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, StorageError):
        return exc.retryable
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


# Documents a stage of this process is on right now (a count: a repeated job may run beside the
# first). A lease this process holds on a document no stage of it is on was left behind (its
# failure could not be recorded, say on a full disk): the embedded sweeper releases it at once
# instead of waiting for it to expire.
_working: Counter[str] = Counter()
_working_lock = threading.Lock()


def worked_on_here(document_id: str) -> bool:
    """Whether a stage of this process is on ``document_id`` now."""
    with _working_lock:
        return _working[document_id] > 0


def run_task(rt: Runtime, task: str, document_id: str, *, final_attempt: bool = True) -> None:
    """Run one stage of one document.

    Failures are recorded on the document (``rejected`` for bad input, ``failed`` otherwise).
    Transient failures raise ``TransientFailure`` unless this is the final attempt, so a
    queue with retries can try again later; the document keeps its state meanwhile.
    """
    with _working_lock:  # before the claim: the sweeper never sees this lease unaccounted for
        _working[document_id] += 1
    try:
        _run_task(rt, task, document_id, final_attempt=final_attempt)
    finally:
        with _working_lock:
            _working[document_id] -= 1
            if _working[document_id] <= 0:
                del _working[document_id]


def _run_task(rt: Runtime, task: str, document_id: str, *, final_attempt: bool) -> None:
    stage = _STAGES[task]
    owner = worker_identity()
    try:
        with rt.db.session() as session:
            claim = claim_document(
                session, document_id, expected=STAGE_INPUTS[task], owner=owner, seconds=rt.settings.lease_seconds
            )
    except Exception as exc:
        if _is_transient(exc) and not final_attempt:
            raise TransientFailure(str(exc)) from exc
        raise
    if claim is Claim.STALE:
        log.info("skip %s for %s: no longer in its input state", task, document_id)
        return
    if claim is Claim.BUSY:
        if final_attempt:
            return  # another worker has it; if that worker dies, the sweeper re-enqueues after the lease
        raise TransientFailure(f"document {document_id} is being processed by another worker")
    try:
        next_task = stage(rt, document_id)
    except InputRejected as exc:
        _fail(rt, document_id, task, DocumentState.REJECTED, exc)
        return
    except Exception as exc:
        if _is_transient(exc):
            _release(rt, document_id, owner)
            if not final_attempt:
                raise TransientFailure(str(exc)) from exc
        full = _full_disk(exc)  # a full disk is retried once space returns
        if full is not None:
            _fail(rt, document_id, task, DocumentState.FAILED, full)
        elif isinstance(exc, SohoaError):
            _fail(rt, document_id, task, DocumentState.FAILED, exc)
        else:  # a bug or an unforeseen library error: fail this document alone
            log.exception("task %s crashed on %s", task, document_id)
            _fail(rt, document_id, task, DocumentState.FAILED, SohoaError(repr(exc)))
        return
    if next_task:
        rt.enqueue(next_task, document_id)


def _full_disk(exc: BaseException) -> InsufficientStorage | None:
    """A full disk anywhere in the exception's chain: a stage that wraps the ``ENOSPC`` of a page
    (``ocr_failed: page 1 failed``) still failed for the disk's sake, not the document's."""
    seen: BaseException | None = exc
    for _ in range(16):  # chains are short; a cycle must not hang the worker
        if seen is None:
            return None
        if isinstance(seen, InsufficientStorage):
            return None if seen is exc else seen  # exc itself is recorded as it is, below
        full = insufficient_storage(seen, "work area")
        if full is not None:
            return full
        seen = seen.__cause__ or seen.__context__
    return None


def _release(rt: Runtime, document_id: str, owner: str) -> None:
    try:
        with rt.db.session() as session:
            release_document(session, document_id, owner=owner)
    except Exception:  # the lease expires by itself
        log.warning("could not release %s", document_id, exc_info=True)


def _fail(rt: Runtime, document_id: str, task: str, to: DocumentState, exc: SohoaError) -> None:
    with rt.db.session() as session:
        doc = get_document(session, document_id)
        leave_stage(
            session,
            document_id,
            task,
            to,
            details={"task": task, "message": exc.message, **exc.details},
            reason_code=exc.code,
            reason_message=exc.message,
            attempts=doc.attempts + 1,
        )


_STAGES: dict[str, Callable[[Runtime, str], str | None]] = {
    "ocr": ocr_stage,
    "extract": extract_stage,
    "sign": sign_stage,
    "archive": archive_stage,
}

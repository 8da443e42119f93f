"""Recovery: a failed document taken back to the stage that failed, and the list of what went wrong.

One function (``retry_document``) for the API, the web pages, ``sohoa retry`` and a repeated upload
of a failed document's file. A failure keeps its stage's inputs in the work area (``work/{id}/``),
so going back to the state the document failed from makes exactly that stage run again: a signer
that could not sign re-signs the OCR output already made, it does not OCR the scan again.

``rejected`` documents are bad input (a damaged file, a refused code): they are listed with their
reason but never retried; the remedy is a corrected upload.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from sohoa.core.domain import DocumentState
from sohoa.core.errors import Conflict, InputRejected
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.stages.work import STAGE_INPUTS
from sohoa.storage.catalogue import (
    DocumentFilter,
    failure_origin,
    get_document,
    list_documents,
    transition,
)
from sohoa.storage.records import DocumentRecord

__all__ = ["Failure", "Retried", "failures", "retry_document", "retry_duplicate", "retry_failed", "retry_in_session"]

S = DocumentState
# The state a stage starts from, by stage: where a failed document goes back to.
_TASK_FOR_STATE: dict[DocumentState, str] = {state: task for task, states in STAGE_INPUTS.items() for state in states}
_START_STATE: dict[str, DocumentState] = {task: states[-1] for task, states in STAGE_INPUTS.items()}


@dataclass(frozen=True)
class Retried:
    """A failed document sent back to the stage that failed."""

    document_id: str
    state: DocumentState  # where it went back to
    task: str  # the stage it continues with
    previous_reason: str | None  # the failure's reason code


@dataclass(frozen=True)
class Failure:
    """A document that stopped early, with the stage it stopped at (None when it was refused at intake)."""

    document: DocumentRecord
    task: str | None
    retryable: bool


def _resume_state(session: Session, doc: DocumentRecord) -> tuple[DocumentState, str]:
    before, task = failure_origin(session, doc.id)
    if before is not None and DocumentState(before) in _TASK_FOR_STATE:
        state = DocumentState(before)
        return state, _TASK_FOR_STATE[state]
    if task in _START_STATE:  # an event without its from-state (written by hand, or an older release)
        return _START_STATE[task], task
    # Failed outside any stage: start again from the beginning, which every stage tolerates.
    return S.RECEIVED, _TASK_FOR_STATE[S.RECEIVED]


def retry_in_session(session: Session, document_id: str, *, actor: str, via: str) -> Retried:
    """Move a failed document back to the state it failed from, in the caller's transaction; one event.

    The caller enqueues ``Retried.task`` once the transaction has committed (a job that ran before
    would find the document still failed and do nothing)."""
    doc = get_document(session, document_id)
    if doc.state != S.FAILED.value:
        code = "not_retryable" if doc.state == S.REJECTED.value else "invalid_state"
        raise Conflict(
            (
                "a rejected document is bad input: upload a corrected file instead"
                if doc.state == S.REJECTED.value
                else f"only failed documents can be retried (state {doc.state})"
            ),
            code=code,
            details={"state": doc.state},
        )
    previous = doc.reason_code
    state, task = _resume_state(session, doc)
    moved = transition(
        session,
        document_id,
        expected=(S.FAILED,),
        to=state,
        actor=actor,
        details={"action": "retry", "via": via, "task": task, "previous_reason": previous},
        reason_code=None,
        reason_message=None,
    )
    if not moved:  # retried by someone else a moment ago
        current = get_document(session, document_id).state
        raise Conflict(
            f"only failed documents can be retried (state {current})", code="invalid_state", details={"state": current}
        )
    return Retried(document_id, state, task, previous)


def retry_document(rt: Runtime, document_id: str, *, actor: str, via: str = "api") -> Retried:
    """Retry one failed document from the stage that failed (Conflict when it is not failed)."""
    with rt.db.session() as session:
        retried = retry_in_session(session, document_id, actor=actor, via=via)
    rt.enqueue(retried.task, document_id)
    return retried


def retry_failed(rt: Runtime, *, actor: str, via: str = "cli", limit: int = 1000) -> list[Retried]:
    """Retry every failed document (at most ``limit``, oldest failure first); those retried meanwhile are skipped."""
    with rt.db.session() as session:
        docs, _ = list_documents(session, DocumentFilter(state=S.FAILED), limit=limit)
    out: list[Retried] = []
    for doc in reversed(docs):
        try:
            out.append(retry_document(rt, doc.id, actor=actor, via=via))
        except Conflict:
            continue
    return out


def failures(
    rt: Runtime, *, states: tuple[DocumentState, ...] = (S.FAILED, S.REJECTED), limit: int = 50, offset: int = 0
) -> tuple[list[Failure], int]:
    """Documents that stopped early (failed or rejected), newest first, with the stage they stopped at."""
    if not states or any(s not in (S.FAILED, S.REJECTED) for s in states):
        raise InputRejected("only failed and rejected documents are failures", code="invalid_filter")
    with rt.db.session() as session:
        docs, total = list_documents(session, DocumentFilter(states=states), limit=limit, offset=offset)
        out = []
        for doc in docs:
            before, task = failure_origin(session, doc.id) if doc.state == S.FAILED.value else (None, None)
            if task is None and before is not None and DocumentState(before) in _TASK_FOR_STATE:
                task = _TASK_FOR_STATE[DocumentState(before)]
            out.append(Failure(doc, task, doc.state == S.FAILED.value))
    return out, total


def retry_duplicate(rt: Runtime, document_id: str, *, actor: str) -> DocumentState | None:
    """The file of a failed document uploaded again: retry that document (its original is the same
    bytes). Returns the state it went back to, or None when it was no longer failed."""
    try:
        return retry_document(rt, document_id, actor=actor, via="duplicate_upload").state
    except Conflict:
        return None

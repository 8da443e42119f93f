"""Batches: what became of every file of an upload, and a live stream of its documents' progress."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import or_, select
from starlette.concurrency import run_in_threadpool

from sohoa.api.deps import ConfigDep, Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import BatchList, BatchPublic, BatchSummary, DocumentPublic, EventPublic, errors
from sohoa.core.clock import to_local
from sohoa.core.domain import DocumentState, Role
from sohoa.core.errors import NotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.batches import list_batches
from sohoa.storage.catalogue import DocumentFilter, get_batch, list_documents
from sohoa.storage.records import BatchRecord, DocumentRecord, EventRecord

__all__ = ["RESTING", "router"]

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])

Reader = Annotated[Principal, Depends(require(Right.READ_BATCHES))]
# States a document stays in until a person or a retry moves it: the stream ends when all are there.
RESTING = frozenset({DocumentState.ARCHIVED, DocumentState.REJECTED, DocumentState.FAILED, DocumentState.NEEDS_REVIEW})
_KEEPALIVE = 15.0
_PAGE = 500


def _visible_batch(rt: Runtime, batch_id: str, user: Principal) -> BatchRecord:
    with rt.db.session() as session:
        batch = get_batch(session, batch_id)
    if user.role is Role.UPLOADER and batch.created_by != user.name:
        # Uploaders see their own batches only; do not reveal that others exist.
        raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
    return batch


@router.get("", response_model=BatchList, responses=errors(401, 403, 422))
def list_all(
    rt: RuntimeDep,
    user: Reader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> BatchList:
    """Newest first; an uploader sees their own batches only."""
    own = user.name if user.role is Role.UPLOADER else None
    with rt.db.session() as session:
        found, total = list_batches(session, created_by=own, limit=limit, offset=offset)
        batches = [
            BatchSummary(
                batch_id=b.id,
                created_at=to_local(b.created_at),
                created_by=b.created_by,
                procedure_code=b.procedure_code,
                dossier_code=b.dossier_code,
                counts=counts,
            )
            for b, counts in found
        ]
    return BatchList(total=total, limit=limit, offset=offset, batches=batches)


@router.get("/{batch_id}", response_model=BatchPublic, responses=errors(401, 403, 404, 422))
def read_batch(batch_id: str, rt: RuntimeDep, user: Reader) -> BatchPublic:
    batch = _visible_batch(rt, batch_id, user)
    with rt.db.session() as session:
        docs, _total = list_documents(session, DocumentFilter(batch_id=batch_id), limit=100_000)
        return BatchPublic(
            batch_id=batch.id,
            created_at=to_local(batch.created_at),
            created_by=batch.created_by,
            procedure_code=batch.procedure_code,
            dossier_code=batch.dossier_code,
            counts=dict(Counter(d.state for d in docs)),
            documents=[DocumentPublic.from_record(d) for d in sorted(docs, key=lambda d: d.filename)],
        )


@dataclass(frozen=True)
class _Look:
    events: list[EventPublic]
    counts: dict[str, int]
    resting: bool


def _look(rt: Runtime, batch_id: str, after_id: int) -> _Look:
    with rt.db.session() as session:
        # States first: an event is committed with its state change, so every event that led to
        # the states seen here is already visible to the query that follows.
        states = list(session.scalars(select(DocumentRecord.state).where(DocumentRecord.batch_id == batch_id)))
        documents = select(DocumentRecord.id).where(DocumentRecord.batch_id == batch_id).scalar_subquery()
        rows = session.scalars(
            select(EventRecord)
            .where(EventRecord.id > after_id)
            .where(or_(EventRecord.batch_id == batch_id, EventRecord.document_id.in_(documents)))
            .order_by(EventRecord.id)
            .limit(_PAGE)
        ).all()
        events = [EventPublic.from_record(e) for e in rows]
    resting = len(events) < _PAGE and all(DocumentState(s) in RESTING for s in states)
    return _Look(events, dict(Counter(states)), resting)


def _message(event: str, data: Any, event_id: int | None = None) -> bytes:
    lines = [f"id: {event_id}"] if event_id is not None else []
    lines += [f"event: {event}", "data: " + json.dumps(data, ensure_ascii=False, default=str)]
    return ("\n".join(lines) + "\n\n").encode()


async def _stream(rt: Runtime, batch_id: str, after_id: int, timeout: float, poll: float) -> AsyncIterator[bytes]:
    yield f"retry: {int(poll * 3000)}\n\n".encode()
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    while True:
        look = await run_in_threadpool(_look, rt, batch_id, after_id)
        for event in look.events:
            after_id = event.id
            yield _message(event.action, event.model_dump(mode="json"), event.id)
        if look.events:
            quiet_since = time.monotonic()
        if look.resting or time.monotonic() >= deadline:
            reason = "resting" if look.resting else "timeout"
            yield _message("end", {"reason": reason, "counts": look.counts})
            return
        if time.monotonic() - quiet_since >= _KEEPALIVE:
            yield b": keepalive\n\n"  # proxies close connections that say nothing for long
            quiet_since = time.monotonic()
        await asyncio.sleep(poll)


@router.get(
    "/{batch_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-Sent Events: one per event of the batch's documents (`id` is the event's id, "
            "`event` its action, `data` an EventPublic), then `event: end` with the documents' counts by state "
            "once every document rests (archived, rejected, failed, needs_review) or the timeout passes",
        },
        **errors(401, 403, 404, 422),
    },
    summary="Follow a batch live (Server-Sent Events); resumes after `Last-Event-ID`",
)
async def batch_events(
    batch_id: str,
    rt: RuntimeDep,
    config: ConfigDep,
    user: Reader,
    timeout: Annotated[float | None, Query(gt=0, le=86_400, description="seconds before the stream ends")] = None,
    last_event_id: Annotated[str | None, Header(max_length=32, description="resume after this event")] = None,
) -> StreamingResponse:
    await run_in_threadpool(_visible_batch, rt, batch_id, user)
    after = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else 0
    after = min(after, 2**62)  # beyond any id, and within what the database's integers hold
    limit = min(timeout or config.batch_events_timeout, config.batch_events_timeout)
    return StreamingResponse(
        _stream(rt, batch_id, after, limit, config.batch_events_poll),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )

"""Batches: what became of every file of an upload, and a live stream of its documents' progress."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from sohoa.api.deps import BatchReader, ConfigDep, RuntimeDep
from sohoa.api.schemas import BatchList, BatchPublic, BatchSummary, EventPublic, errors
from sohoa.pipeline.actions.batches import batch, batch_progress, batches, check_visible
from sohoa.pipeline.runtime import Runtime

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/batches", tags=["batches"])


@router.get("", response_model=BatchList, responses=errors(401, 403, 422))
def list_all(
    rt: RuntimeDep,
    user: BatchReader,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> BatchList:
    """Newest first; an uploader sees their own batches only."""
    found, total = batches(rt, role=user.role, name=user.name, limit=limit, offset=offset)
    return BatchList(total=total, limit=limit, offset=offset, batches=[BatchSummary.model_validate(b) for b in found])


@router.get("/{batch_id}", response_model=BatchPublic, responses=errors(401, 403, 404, 422))
def read_batch(batch_id: str, rt: RuntimeDep, user: BatchReader) -> BatchPublic:
    return BatchPublic.model_validate(batch(rt, batch_id, role=user.role, name=user.name))


async def _follow(
    rt: Runtime, batch_id: str, after_id: int, timeout: float, poll: float
) -> AsyncIterator[ServerSentEvent]:
    # FastAPI's event-stream support writes the wire format and the keep-alive comments proxies need.
    yield ServerSentEvent(retry=int(poll * 3000), comment="sohoa")
    deadline = time.monotonic() + timeout
    while True:
        progress = await run_in_threadpool(batch_progress, rt, batch_id, after_id=after_id)
        for record in progress.events:
            event = EventPublic.model_validate(record)
            after_id = event.id
            yield ServerSentEvent(data=event.model_dump(mode="json"), event=event.action, id=str(event.id))
        if progress.resting or time.monotonic() >= deadline:
            reason = "resting" if progress.resting else "timeout"
            yield ServerSentEvent(data={"reason": reason, "counts": progress.counts}, event="end")
            return
        await anyio.sleep(poll)


def _followable(batch_id: str, rt: RuntimeDep, user: BatchReader) -> str:
    """Refuse before the stream starts: once it has, only events can be sent, not a 404."""
    check_visible(rt, batch_id, role=user.role, name=user.name)
    return batch_id


@router.get(
    "/{batch_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "Server-Sent Events: one per event of the batch's documents (`id` is the event's id, "
            "`event` its action, `data` an EventPublic), then `event: end` with the documents' counts by state "
            "once every document rests (archived, rejected, failed, needs_review) or the timeout passes",
        },
        # Refusals come before the stream starts, as JSON like every other error.
        **{
            code: {**answer, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}}
            for code, answer in errors(401, 403, 404, 422).items()
        },
    },
    summary="Follow a batch live (Server-Sent Events); resumes after `Last-Event-ID`",
)
async def batch_events(
    batch_id: Annotated[str, Depends(_followable)],
    rt: RuntimeDep,
    config: ConfigDep,
    timeout: Annotated[float | None, Query(gt=0, le=86_400, description="seconds before the stream ends")] = None,
    last_event_id: Annotated[str | None, Header(max_length=32, description="resume after this event")] = None,
) -> AsyncIterator[ServerSentEvent]:
    after = int(last_event_id) if last_event_id and last_event_id.strip().isdigit() else 0
    after = min(after, 2**62)  # beyond any id, and within what the database's integers hold
    limit = min(timeout or config.batch_events_timeout, config.batch_events_timeout)
    async for event in _follow(rt, batch_id, after, limit, config.batch_events_poll):
        yield event

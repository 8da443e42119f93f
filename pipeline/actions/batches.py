"""Uploads (batches) as their uploaders and the records staff follow them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sohoa.core.domain import DocumentState, Role
from sohoa.core.errors import NotFound
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.batches import batch_events, batch_states, list_batches
from sohoa.storage.catalogue import DocumentFilter, get_batch, list_documents
from sohoa.storage.records import BatchRecord, DocumentRecord, EventRecord

__all__ = [
    "RESTING",
    "BatchContents",
    "BatchCounts",
    "BatchProgress",
    "batch",
    "batch_progress",
    "batches",
    "check_visible",
]

# States a document stays in until a person or a retry moves it: following a batch ends when all are there.
RESTING = frozenset({DocumentState.ARCHIVED, DocumentState.REJECTED, DocumentState.FAILED, DocumentState.NEEDS_REVIEW})
# The order states are listed in: how far along the pipeline, then the ends that need a person.
_ORDER = tuple(DocumentState)


def _rests(state: str) -> bool:
    try:
        return DocumentState(state) in RESTING
    except ValueError:  # a state a newer release wrote: not one this one knows to rest
        return False


def _position(state: str) -> int:
    try:
        return _ORDER.index(DocumentState(state))
    except ValueError:
        return len(_ORDER)


@dataclass(frozen=True)
class BatchCounts:
    """A batch, how many of its documents are in each state, and how far along they are."""

    batch: BatchRecord
    counts: dict[str, int]  # documents by state

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        """Documents that rest (archived, rejected, failed, waiting for review)."""
        return sum(n for state, n in self.counts.items() if _rests(state))

    @property
    def finished(self) -> bool:
        return self.done == self.total

    def in_order(self) -> list[tuple[str, int]]:
        """The counts by state in pipeline order."""
        return sorted(self.counts.items(), key=lambda item: _position(item[0]))


@dataclass(frozen=True)
class BatchContents(BatchCounts):
    documents: list[DocumentRecord]  # by file name


def _visible(rt: Runtime, batch_id: str, role: Role, name: str) -> BatchRecord:
    with rt.db.session() as session:
        found = get_batch(session, batch_id)
    if role is Role.UPLOADER and found.created_by != name:
        # Uploaders see their own batches only; do not reveal that others exist.
        raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
    return found


def batches(rt: Runtime, *, role: Role, name: str, limit: int = 50, offset: int = 0) -> tuple[list[BatchCounts], int]:
    """Newest first, with counts by state; an uploader sees their own batches only."""
    own = name if role is Role.UPLOADER else None
    with rt.db.session() as session:
        found, total = list_batches(session, created_by=own, limit=limit, offset=offset)
    return [BatchCounts(record, counts) for record, counts in found], total


def batch(rt: Runtime, batch_id: str, *, role: Role, name: str) -> BatchContents:
    """One batch the person may see, and its documents by file name."""
    found = _visible(rt, batch_id, role, name)
    with rt.db.session() as session:
        docs, _total = list_documents(session, DocumentFilter(batch_id=batch_id), limit=100_000)
    docs = sorted(docs, key=lambda d: d.filename)
    return BatchContents(found, dict(Counter(d.state for d in docs)), docs)


@dataclass(frozen=True)
class BatchProgress:
    events: list[EventRecord]  # after the one the follower last saw, in order
    counts: dict[str, int]  # documents by state
    resting: bool  # every document rests and no event is left to send


def check_visible(rt: Runtime, batch_id: str, *, role: Role, name: str) -> None:
    _visible(rt, batch_id, role, name)


def batch_progress(rt: Runtime, batch_id: str, *, after_id: int, page: int = 500) -> BatchProgress:
    with rt.db.session() as session:
        # States first: an event is committed with its state change, so every event that led to
        # the states seen here is already visible to the query that follows.
        states = batch_states(session, batch_id)
        events = batch_events(session, batch_id, after_id=after_id, limit=page)
    resting = len(events) < page and all(_rests(s) for s in states)
    return BatchProgress(events, dict(Counter(states)), resting)

"""An uploader's past uploads (batches) with their progress, after the upload tab was closed.

Uploaders see their own batches, records staff and auditors every batch (the same rule as
``GET /api/v1/batches``: one action, ``pipeline.actions.batches``). A batch still being processed
refreshes itself every few seconds; one whose documents all rest does not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.api.web.paging import Paging, paged
from sohoa.core.domain import DocumentState, Role
from sohoa.core.errors import NotFound
from sohoa.pipeline.actions.batches import RESTING, batch, batches
from sohoa.storage.records import BatchRecord

__all__ = ["PAGE_SIZE", "REFRESH_SECONDS", "BatchRow", "router"]

router = APIRouter(include_in_schema=False)

Follower = Annotated[Page, Depends(allowed(Right.READ_BATCHES))]
PAGE_SIZE = 25
REFRESH_SECONDS = 5
# The order states are listed in: how far along the pipeline, then the ends that need a person.
_ORDER = tuple(DocumentState)


@dataclass(frozen=True)
class BatchRow:
    batch: BatchRecord
    counts: list[tuple[str, int]]  # by state, in pipeline order
    total: int
    done: int  # documents that rest (archived, rejected, failed, waiting for review)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def finished(self) -> bool:
        return self.done == self.total

    @classmethod
    def of(cls, record: BatchRecord, counts: dict[str, int]) -> BatchRow:
        ordered = sorted(counts.items(), key=lambda item: _position(item[0]))
        done = sum(n for state, n in counts.items() if _resting(state))
        return cls(record, ordered, sum(counts.values()), done)


def _position(state: str) -> int:
    try:
        return _ORDER.index(DocumentState(state))
    except ValueError:
        return len(_ORDER)


def _resting(state: str) -> bool:
    try:
        return DocumentState(state) in RESTING
    except ValueError:
        return False


@router.get("/batches", response_class=HTMLResponse)
def batch_list(page: Follower, paging: Annotated[Paging, Depends(paged(PAGE_SIZE))]) -> HTMLResponse:
    user = page.user
    found, total = batches(page.rt, role=user.role, name=user.name, limit=paging.size, offset=paging.offset)
    rows = [BatchRow.of(record, counts) for record, counts in found]
    return page.render(
        "batches.html",
        rows=rows,
        **paging.shown(total, "/batches"),
        own_only=user.role is Role.UPLOADER,  # the same rule as the action: uploaders see their own
        refresh=REFRESH_SECONDS if any(not r.finished for r in rows) else None,
    )


@router.get("/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(page: Follower, batch_id: Annotated[str, Path(max_length=36)]) -> HTMLResponse:
    try:
        record, documents = batch(page.rt, batch_id, role=page.user.role, name=page.user.name)
    except NotFound:
        raise PageRefused(404, "error.batch_not_found") from None
    row = BatchRow.of(record, dict(Counter(d.state for d in documents)))
    return page.render(
        "batch.html",
        row=row,
        documents=documents,
        can_read=page.can(Right.READ_DOCUMENTS),
        refresh=None if row.finished else REFRESH_SECONDS,
    )

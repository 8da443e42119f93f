"""An uploader's past uploads (batches) with their progress, after the upload tab was closed.

Uploaders see their own batches, records staff and auditors every batch (the same rule as
``GET /api/v1/batches``: one action, ``pipeline.actions.batches``). A batch still being processed
refreshes itself every few seconds; one whose documents all rest does not.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.api.web.paging import Paging, paged
from sohoa.core.domain import Role
from sohoa.core.errors import NotFound
from sohoa.pipeline.actions.batches import batch, batches

__all__ = ["PAGE_SIZE", "REFRESH_SECONDS", "router"]

router = APIRouter(include_in_schema=False)

Follower = Annotated[Page, Depends(allowed(Right.READ_BATCHES))]
PAGE_SIZE = 25
REFRESH_SECONDS = 5


@router.get("/batches", response_class=HTMLResponse)
def batch_list(page: Follower, paging: Annotated[Paging, Depends(paged(PAGE_SIZE))]) -> HTMLResponse:
    user = page.user
    rows, total = batches(page.rt, role=user.role, name=user.name, limit=paging.size, offset=paging.offset)
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
        row = batch(page.rt, batch_id, role=page.user.role, name=page.user.name)
    except NotFound:
        raise PageRefused(404, "error.batch_not_found") from None
    return page.render(
        "batch.html",
        row=row,
        can_read=page.can(Right.READ_DOCUMENTS),
        refresh=None if row.finished else REFRESH_SECONDS,
    )

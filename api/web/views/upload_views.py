"""The upload page: choose a procedure (or cover sheets), drop files or folders, watch them through.

The browser sends the files to ``POST /api/v1/uploads`` itself (so it can show upload progress
per file) and follows each batch over ``GET /api/v1/batches/{id}/events`` when the server has
it, else by reading the batch every few seconds; this page only sets the scene.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, allowed
from sohoa.api.web.rendering import has_route
from sohoa.pipeline.actions import registry
from sohoa.registry.procedures import Procedure

__all__ = ["PROCEDURE_CHOICES", "router"]

router = APIRouter(include_in_schema=False)

Uploader = Annotated[Page, Depends(allowed(Right.UPLOAD))]
ProcedureReader = Annotated[Page, Depends(allowed(Right.READ_PROCEDURES))]
PROCEDURE_CHOICES = 50  # options shown at once; typing narrows the list


@router.get("/upload", response_class=HTMLResponse)
def upload_page(page: Uploader) -> HTMLResponse:
    loaded = registry.catalogue_ready(page.rt)
    procedures, total = registry.procedures(page.rt, limit=PROCEDURE_CHOICES) if loaded else ([], 0)
    return page.render(
        "upload.html",
        catalogue=loaded,
        procedures=procedures,
        total=total,
        events_available=has_route(page.request, "/api/v1/batches/{batch_id}/events"),
        can_read=page.can(Right.READ_DOCUMENTS),
        can_review=page.can(Right.REVIEW),
        texts=page.t.client_texts("uploadjs.", "state.", "reason."),
    )


@router.get("/ui/procedures", response_class=HTMLResponse)
def procedure_options(page: ProcedureReader, q: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """``<option>`` elements for the procedure list, narrowed by ``q`` (code or words, accents optional)."""
    found, total = registry.procedures(page.rt, query=q, limit=PROCEDURE_CHOICES)
    chosen: list[Procedure] = list(found)
    return page.render("_procedure_options.html", procedures=chosen, total=total)

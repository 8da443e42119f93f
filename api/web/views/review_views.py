"""The review queue: a page image beside the fields read from it, uncertain ones marked.

Corrections and the approval go from the browser to the JSON API (``PATCH .../metadata``,
``POST .../approve``), so the audit log records them exactly as for any other client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sohoa.api.rights import Right
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.api.web.paging import Paging, paged
from sohoa.api.web.previews import render_preview
from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound, SohoaError
from sohoa.pipeline.actions import documents as doc_actions
from sohoa.pipeline.actions.documents import document
from sohoa.pipeline.actions.recovery import failures
from sohoa.storage.records import DocumentRecord

__all__ = ["CONFIDENCE_THRESHOLD", "FAILURES_PAGE_SIZE", "REVIEW_FIELDS", "ReviewField", "review_fields", "router"]

router = APIRouter(include_in_schema=False)

Reviewer = Annotated[Page, Depends(allowed(Right.REVIEW))]
Reader = Annotated[Page, Depends(allowed(Right.READ_DOCUMENTS))]

FAILURES_PAGE_SIZE = 50
# the stage a document failed at, in words
STAGE_KEYS = {
    "ocr": "failures.stage_ocr",
    "extract": "failures.stage_extract",
    "sign": "failures.stage_sign",
    "archive": "failures.stage_archive",
}
CONFIDENCE_THRESHOLD = 0.6  # as ingest.review_rules: below it a printed value is a guess
QUEUE_LIMIT = 500
# (field, input type): the fields a person checks, in the order they appear on the paper.
REVIEW_FIELDS: tuple[tuple[str, str], ...] = (
    ("procedure_code", "text"),
    ("dossier_code", "text"),
    ("issuer", "text"),
    ("document_type", "text"),
    ("number_symbol", "text"),
    ("issued_place", "text"),
    ("issued_date", "date"),
    ("subject", "textarea"),
    ("signer_title", "text"),
    ("signer_name", "text"),
    ("recipients", "lines"),
)


@dataclass(frozen=True)
class ReviewField:
    name: str
    kind: str  # text | date | textarea | lines
    value: str
    confidence: float | None
    uncertain: bool
    reasons: tuple[str, ...]  # the review reasons that name this field
    from_upload: bool = False  # a filing code given at upload, not read from the paper
    # When the paper and the upload disagree on a code: (source, value) for each, "printed" then "upload".
    choices: tuple[tuple[str, str], ...] = ()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


# Review reasons that are about the filing codes rather than one printed field.
_CODE_REASONS: dict[str, tuple[str, ...]] = {
    "procedure_code_mismatch": ("procedure_code",),
    "dossier_code_mismatch": ("dossier_code",),
    "cover_sheet_text": ("procedure_code", "dossier_code"),
    "cover_sheet_uncertain": ("procedure_code", "dossier_code"),
    "cover_sheet_unreadable": ("procedure_code", "dossier_code"),
    "no_filing_codes": ("procedure_code", "dossier_code"),
}


def _fields_named(reason: str) -> tuple[str, ...]:
    """``missing:issuer`` -> ("issuer",); code reasons -> the codes they are about."""
    _kind, _, field = reason.partition(":")
    return (field,) if field else _CODE_REASONS.get(reason, ())


def review_fields(doc: DocumentRecord) -> list[ReviewField]:
    """The fields to check, each marked uncertain when a review reason names it or its confidence is low."""
    meta = doc.metadata_json or {}
    confidence = meta.get("confidence") or {}
    reasons = doc.review_reasons or []
    out = []
    for name, kind in REVIEW_FIELDS:
        mine = tuple(r for r in reasons if name in _fields_named(r))
        score = confidence.get(name)
        value = meta.get(name)
        if value in (None, "") and name in ("procedure_code", "dossier_code"):
            value = getattr(doc, name)  # filed by the upload when the paper did not print it
        from_upload = name in ("procedure_code", "dossier_code") and score is None and bool(value)
        low = value not in (None, "", []) and isinstance(score, int | float) and score < CONFIDENCE_THRESHOLD
        choices = _code_choices(doc, name, value) if f"{name}_mismatch" in reasons else ()
        shown = _day_month_year(value) if kind == "date" else _text(value)
        out.append(ReviewField(name, kind, shown, score, bool(mine) or low, mine, from_upload, choices))
    return out


def _day_month_year(value: Any) -> str:
    """An ISO day as typed here (31/12/2025), whatever the browser's locale; other text as it is."""
    text = _text(value)
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def _code_choices(doc: DocumentRecord, name: str, typed: Any) -> tuple[tuple[str, str], ...]:
    """The code printed on the page and the one typed at upload, when they differ: one click takes either."""
    printed = (doc.metadata_json or {}).get(f"printed_{name}")
    given = typed or getattr(doc, name)
    if not printed or not given or printed == given:
        return ()
    return (("printed", str(printed)), ("upload", str(given)))


def _queue(page: Page) -> list[DocumentRecord]:
    """Documents waiting for review, oldest first (the first to arrive is the first to be signed)."""
    return doc_actions.review_queue(page.rt, limit=QUEUE_LIMIT)


def _document(page: Page, document_id: str) -> DocumentRecord:
    try:
        return document(page.rt, document_id)
    except NotFound:
        raise PageRefused(404, "error.document_not_found") from None


@router.get("/review", response_class=HTMLResponse)
def review_queue(page: Reviewer) -> HTMLResponse:
    return page.render("review_queue.html", queue=_queue(page))


@router.get("/review/next")
def next_to_review(page: Reviewer, after: Annotated[str, Query(max_length=64)] = "") -> Response:
    """The document to review after ``after``, by its own address (so the address bar names the document
    shown, even when the one expected next was taken meanwhile); the queue page when none waits."""
    queue = [d.id for d in _queue(page) if d.id != after]
    return RedirectResponse(f"/review/{queue[0]}" if queue else "/review", status_code=303)


@router.get("/review/{document_id}", response_class=HTMLResponse)
def review_document(document_id: str, page: Reviewer) -> HTMLResponse:
    doc = _document(page, document_id)
    queue = [d.id for d in _queue(page)]
    position = queue.index(doc.id) if doc.id in queue else None
    following = [d for d in queue if d != doc.id]
    if position is not None:
        following = queue[position + 1 :] + queue[:position]
    return page.render(
        "review.html",
        doc=doc,
        fields=review_fields(doc),
        waiting=doc.state == DocumentState.NEEDS_REVIEW.value,
        correcting=doc.state == DocumentState.ARCHIVED.value,  # the catalogue only: the signed file stays
        position=None if position is None else position + 1,
        queue_size=len(queue),
        next_id=following[0] if following else None,
        pages=max(1, doc.page_count or 1),
        threshold=CONFIDENCE_THRESHOLD,
        texts=page.t.client_texts("reviewjs.", "reason."),
    )


@router.get("/ui/documents/{document_id}/pages/{number}.png")
def page_image(document_id: str, number: int, page: Reader) -> Response:
    doc = _document(page, document_id)
    try:
        png = render_preview(page.rt, doc, number - 1)
    except SohoaError as exc:
        raise PageRefused(404, "error.preview_unavailable", code=exc.code) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@router.get("/failures", response_class=HTMLResponse)
def failures_page(
    page: Reviewer,
    paging: Annotated[Paging, Depends(paged(FAILURES_PAGE_SIZE, most=10_000))],
    state: Annotated[str, Query(pattern="^(|failed|rejected)$")] = "",
) -> HTMLResponse:
    """Documents that stopped early, newest first, each with its reason in words; failed ones can be retried."""
    states = (DocumentState(state),) if state else (DocumentState.FAILED, DocumentState.REJECTED)
    rows, total = failures(page.rt, states=states, limit=paging.size, offset=paging.offset)
    return page.render(
        "failures.html",
        rows=rows,
        stage_keys=STAGE_KEYS,
        **paging.shown(total, "/failures", {"state": state}),
        state=state,
        texts=page.t.client_texts("retryjs.", "reason.", "state."),
    )

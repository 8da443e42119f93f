"""Archive search and the document page (viewer, metadata, signature check, history, downloads)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from sohoa.api.rights import Right
from sohoa.api.routes.documents import content_disposition
from sohoa.api.web.access import Page, PageRefused, allowed
from sohoa.api.web.i18n import Translator
from sohoa.api.web.paging import Paging, paged
from sohoa.api.web.rendering import has_route
from sohoa.core.domain import DocumentState
from sohoa.core.errors import NotFound, SohoaError
from sohoa.pipeline.actions.documents import document_events, document_title, open_download
from sohoa.pipeline.actions.search import search
from sohoa.storage.search import DocumentFilters, SearchQuery

__all__ = ["PAGE_SIZE", "SearchForm", "marked_parts", "parse_day", "router"]

router = APIRouter(include_in_schema=False)

Reader = Annotated[Page, Depends(allowed(Right.READ_DOCUMENTS))]
Downloader = Annotated[Page, Depends(allowed(Right.DOWNLOAD))]
PAGE_SIZE = 20
VERIFICATION_ROUTE = "/api/v1/documents/{document_id}/verification"
SUPERSEDE_ROUTE = "/api/v1/documents/{document_id}/supersede"
Text = Annotated[str, Query(max_length=500)]
# The states staff look for first: what needs a person (review, failures), then the rest in pipeline order.
SEARCH_STATES = (
    DocumentState.NEEDS_REVIEW,
    DocumentState.FAILED,
    DocumentState.REJECTED,
    DocumentState.ARCHIVED,
    DocumentState.RECEIVED,
    DocumentState.OCR_DONE,
    DocumentState.EXTRACTED,
    DocumentState.APPROVED,
    DocumentState.SIGNED,
)
STATE_PATTERN = "^(|" + "|".join(s.value for s in DocumentState) + ")$"


@dataclass(frozen=True)
class SearchForm:
    """The search form as typed; blank boxes are absent filters."""

    text: str = ""
    procedure_code: str = ""
    dossier_code: str = ""
    number: str = ""
    issued_from: str = ""
    issued_to: str = ""
    received_from: str = ""
    received_to: str = ""
    signed: str = ""  # "" any, "yes", "no"
    state: str = ""  # "" any, or a document state (failed, needs_review...)

    @property
    def empty(self) -> bool:
        return not any(value.strip() for value in self.__dict__.values())

    def query(self, paging: Paging) -> SearchQuery:
        """The storage query; a date that is not ISO is refused with a reason the page can show."""
        return SearchQuery(
            text=self.text.strip() or None,
            filters=DocumentFilters(
                procedure_code=self.procedure_code.strip() or None,
                dossier_code=self.dossier_code.strip() or None,
                number=self.number.strip() or None,
                issued_from=_day(self.issued_from),
                issued_to=_day(self.issued_to),
                received_from=_day(self.received_from),
                received_to=_day(self.received_to),
                signed={"yes": True, "no": False}.get(self.signed),
                state=DocumentState(self.state) if self.state else None,
            ),
            limit=paging.size,
            offset=paging.offset,
        )


class _BadDate(ValueError):
    pass


_DMY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_day(value: str) -> date | None:
    """A day typed as people here write it (31/12/2025), or ISO (2025-12-31); None for anything else."""
    value = value.strip()
    try:
        if m := _DMY.match(value):
            return date(int(m[3]), int(m[2]), int(m[1]))
        return date.fromisoformat(value) if re.match(r"^\d{4}-\d{2}-\d{2}$", value) else None
    except ValueError:
        return None


def _day(value: str) -> date | None:
    if not value.strip():
        return None
    day = parse_day(value)
    if day is None:
        raise _BadDate(value)
    return day


def marked_parts(text: str, highlights: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> list[tuple[str, bool]]:
    """A snippet cut into (text, is_match) pieces, so the template marks matches without raw HTML."""
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in sorted(highlights):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    if at < len(text):
        parts.append((text[at:], False))
    return parts


@router.get("/search", response_class=HTMLResponse)
def search_page(
    page: Reader,
    paging: Annotated[Paging, Depends(paged(PAGE_SIZE, most=10_000))],
    text: Text = "",
    procedure_code: Text = "",
    dossier_code: Text = "",
    number: Text = "",
    issued_from: Text = "",
    issued_to: Text = "",
    received_from: Text = "",
    received_to: Text = "",
    signed: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    state: Annotated[str, Query(pattern=STATE_PATTERN)] = "",
) -> HTMLResponse:
    form = SearchForm(
        text, procedure_code, dossier_code, number, issued_from, issued_to, received_from, received_to, signed, state
    )
    results, total, error = [], 0, None
    if not form.empty:
        try:
            found = search(page.rt, form.query(paging))
            total = found.total
            results = [hit.to_dict() for hit in found.hits]
        except _BadDate as exc:
            error = ("error.bad_date", {"value": str(exc)})
        except SohoaError as exc:
            error = ("error.search_refused", {"reason": exc.message})
    for hit in results:
        snippet = hit.get("snippet")
        hit["snippet_parts"] = marked_parts(snippet["text"], snippet["highlights"]) if snippet else []
    request = page.request
    partial = request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers
    return page.render(
        "_results.html" if partial else "search.html",
        form=form,
        results=results,
        **paging.shown(total, "/search", asdict(form)),
        error=error,
        states=SEARCH_STATES,
    )


def day_text(value: str) -> str:
    """An ISO day as people here write it (31/12/2025); other text as it is."""
    try:
        return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return value


def certificate_text(subject: str | None, t: Translator) -> str:
    """A certificate's subject (``Common Name: Sở X; Organization: UBND``) with its labels in the page's words."""
    if not subject:
        return ""
    parts = []
    for part in subject.split("; "):
        label, sep, value = part.partition(": ")
        key = "cert." + re.sub(r"[^a-z]+", "_", label.lower())
        parts.append(f"{t(key) if sep and t.has(key) else label}{sep}{value}")
    return "; ".join(parts)


def shown_value(field: str | None, value: Any) -> str:
    """A metadata value as the page shows it: dates as dd/mm/yyyy, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if field == "issued_date" and isinstance(value, str):
        return day_text(value)
    return str(value)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def document_page(document_id: str, page: Reader) -> HTMLResponse:
    try:
        doc, events = document_events(page.rt, document_id, limit=1000)
    except NotFound:
        raise PageRefused(404, "error.document_not_found") from None
    translator = page.t
    # Superseding files a corrected record: the archivist's act, as in the archive API.
    may_supersede = page.can(Right.MANAGE_REGISTRY) and has_route(page.request, SUPERSEDE_ROUTE, "post")
    return page.render(
        "document.html",
        doc=doc,
        title=document_title(doc),
        signer=certificate_text(doc.signer_subject, translator),
        meta={k: v for k, v in (doc.metadata_json or {}).items() if k != "confidence" and v not in (None, "", [])},
        events=events,
        can_download=page.can(Right.DOWNLOAD),
        can_review=page.can(Right.REVIEW),
        verification_url=(
            VERIFICATION_ROUTE.replace("{document_id}", doc.id)
            if doc.archive_key and has_route(page.request, VERIFICATION_ROUTE)
            else None
        ),
        supersede_url=(SUPERSEDE_ROUTE.replace("{document_id}", doc.id) if doc.archive_key and may_supersede else None),
        shown=shown_value,
        field_names=lambda names: ", ".join(translator.field(str(n)) for n in names or ()),
        texts=translator.client_texts("verifyjs.", "verifyproblem.", "reason.", "retryjs.", "state.", "cert."),
    )


@router.get("/ui/documents/{document_id}/view.pdf")
def view_signed(document_id: str, page: Downloader) -> Response:
    """The signed copy shown inline in the page's viewer; viewing is a download, and audited as one."""
    rt = page.rt
    try:
        taken = open_download(rt, document_id, "signed", actor=page.user.name, inline=True)
    except NotFound as exc:
        key = "error.not_signed_yet" if exc.code == "file_not_available" else "error.document_not_found"
        raise PageRefused(404, key) from None
    return StreamingResponse(
        taken.chunks(rt),
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition("inline", taken.filename),
            "Content-Length": str(taken.info.size),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            # The file as a document of its own, sandboxed: no script of this site's origin may run
            # in it. Chromium's PDF viewer runs a PDF's own JavaScript even so (tested), which is why
            # the agency never signs a PDF that carries any (pipeline.stages.signing).
            "Content-Security-Policy": "sandbox",
        },
    )

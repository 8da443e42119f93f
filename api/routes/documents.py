"""Documents: list, read, download (audited), and review."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from sohoa.api.deps import DocumentReader, Downloader, Principal, Reviewer, RuntimeDep
from sohoa.api.schemas import DocumentList, DocumentPublic, EventPublic, errors
from sohoa.core.domain import DocumentState
from sohoa.pipeline.actions.documents import FileKind, document, document_events, documents, open_download
from sohoa.pipeline.actions.recovery import retry_document
from sohoa.pipeline.review import approve_document, correct_metadata
from sohoa.storage.catalogue import DocumentFilter

router = APIRouter(prefix="/api/v1/documents", tags=["documents"])

ERRORS = errors(401, 403, 404, 422)


class DocumentListParams(BaseModel):
    """The query string: one parameter per field of the catalogue's ``DocumentFilter`` a caller may set,
    and the page."""

    procedure_code: str | None = Field(default=None, description="exact, or prefix by whole segments")
    dossier_code: str | None = None
    state: DocumentState | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    def filter(self) -> DocumentFilter:
        return DocumentFilter(**self.model_dump(exclude={"limit", "offset"}))


@router.get("", response_model=DocumentList, responses=ERRORS)
def list_all(rt: RuntimeDep, _user: DocumentReader, params: Annotated[DocumentListParams, Query()]) -> DocumentList:
    docs, total = documents(rt, params.filter(), limit=params.limit, offset=params.offset)
    page = [DocumentPublic.model_validate(d) for d in docs]
    return DocumentList(total=total, limit=params.limit, offset=params.offset, documents=page)


@router.get("/{document_id}", response_model=DocumentPublic, responses=ERRORS)
def read(document_id: str, rt: RuntimeDep, _user: DocumentReader) -> DocumentPublic:
    return DocumentPublic.model_validate(document(rt, document_id))


@router.get("/{document_id}/events", response_model=list[EventPublic], responses=ERRORS)
def events(document_id: str, rt: RuntimeDep, _user: DocumentReader) -> list[EventPublic]:
    _doc, history = document_events(rt, document_id)
    return [EventPublic.model_validate(e) for e in history]


def content_disposition(kind: str, filename: str) -> str:
    """``filename*`` carries the Vietnamese name (RFC 6266); ``filename`` an unaccented one for old clients."""
    unaccented = unicodedata.normalize("NFD", filename).replace("đ", "d").replace("Đ", "D")
    plain = "".join(ch for ch in unaccented if ch.isascii() and ch.isprintable() and ch not in '"\\')
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _download(rt: RuntimeDep, user: Principal, document_id: str, kind: FileKind) -> StreamingResponse:
    taken = open_download(rt, document_id, kind, actor=user.name)
    return StreamingResponse(
        taken.chunks(rt),
        media_type=taken.info.content_type,
        headers={
            "Content-Disposition": content_disposition("attachment", taken.filename),
            "Content-Length": str(taken.info.size),
            "X-Content-SHA256": taken.info.sha256,
        },
    )


@router.get("/{document_id}/file", responses={**ERRORS, 200: {"content": {"application/pdf": {}}}})
def signed_file(document_id: str, rt: RuntimeDep, user: Downloader) -> StreamingResponse:
    return _download(rt, user, document_id, "signed")


@router.get("/{document_id}/original", responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}}})
def original_file(document_id: str, rt: RuntimeDep, user: Downloader) -> StreamingResponse:
    return _download(rt, user, document_id, "original")


@router.patch(
    "/{document_id}/metadata",
    response_model=DocumentPublic,
    responses=errors(401, 403, 404, 409, 422),
)
def patch_metadata(
    document_id: str,
    rt: RuntimeDep,
    user: Reviewer,
    changes: Annotated[dict[str, Any], Body(description="metadata fields to set")],
) -> DocumentPublic:
    return DocumentPublic.model_validate(correct_metadata(rt, document_id, changes, actor=user.name))


@router.post("/{document_id}/approve", response_model=DocumentPublic, responses=errors(401, 403, 404, 409, 422))
def approve(
    document_id: str,
    rt: RuntimeDep,
    user: Reviewer,
    confirm_missing: Annotated[
        bool | None,
        Query(
            description="false: 409 required_fields_empty while a required field is empty; "
            "true: approve anyway (recorded); unset: approve, the empty fields recorded"
        ),
    ] = None,
) -> DocumentPublic:
    return DocumentPublic.model_validate(
        approve_document(rt, document_id, actor=user.name, confirm_missing=confirm_missing)
    )


@router.post("/{document_id}/retry", response_model=DocumentPublic, responses=errors(401, 403, 404, 409, 422))
def retry(document_id: str, rt: RuntimeDep, user: Reviewer) -> DocumentPublic:
    """Take a failed document back to the stage that failed (409 ``invalid_state``/``not_retryable`` otherwise)."""
    retry_document(rt, document_id, actor=user.name, via="api")
    return DocumentPublic.model_validate(document(rt, document_id))

"""Search the archive: ``GET /api/v1/search`` by codes, metadata and what the documents say."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sohoa.api.deps import Principal, RuntimeDep, require
from sohoa.api.rights import Right
from sohoa.api.schemas import ErrorPublic
from sohoa.core.domain import DocumentState
from sohoa.pipeline.actions.search import search as run_search
from sohoa.storage.search import MAX_LIMIT, DocumentFilters, SearchQuery

__all__ = ["SearchResponse", "SearchResultPublic", "SnippetPublic", "router"]

router = APIRouter(prefix="/api/v1/search", tags=["search"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic},
    403: {"model": ErrorPublic},
    422: {"model": ErrorPublic},
}
Reader = Annotated[Principal, Depends(require(Right.READ_DOCUMENTS))]


class SnippetPublic(BaseModel):
    text: str  # the original Vietnamese, white space made single
    highlights: list[tuple[int, int]]  # [start, end) character offsets of the matches in ``text``
    page: int | None  # 0-based page the text comes from, or None for metadata and names
    field: str | None  # "filename", "procedure_code", "dossier_code" or a metadata key, when not a page


class SearchResultPublic(BaseModel):
    id: str
    title: str | None  # the cleaned subject, else type and number, else the file name
    batch_id: str | None
    filename: str
    state: str
    reason_code: str | None
    procedure_code: str | None
    dossier_code: str | None
    sha256: str
    page_count: int | None
    metadata: dict[str, Any] | None
    archive_key: str | None
    archive_sha256: str | None
    signature_level: str | None
    kept_signature: bool
    signed_at: str | None  # ISO 8601 in Vietnam's time zone, as the CLI prints them
    received_at: str | None
    archived_at: str | None
    score: int | None  # occurrences of the query's words; None without text
    snippet: SnippetPublic | None


class SearchResponse(BaseModel):
    total: int
    limit: int
    offset: int
    results: list[SearchResultPublic]


@router.get("", response_model=SearchResponse, responses=ERRORS)
def search(
    rt: RuntimeDep,
    _user: Reader,
    text: Annotated[str | None, Query(description='words and "quoted phrases"; accents optional')] = None,
    procedure_code: Annotated[str | None, Query(description="exact, or prefix by whole segments")] = None,
    dossier_code: Annotated[str | None, Query(description="exact")] = None,
    number: Annotated[str | None, Query(description="số/ký hiệu: 12/2024/QĐ-UBND, 12/QĐ-UBND, 12 or QĐ-UBND")] = None,
    document_type: Annotated[str | None, Query(description="name or abbreviation: Quyết định, QĐ")] = None,
    issuer: Annotated[str | None, Query(description="words of the issuer, in order")] = None,
    issued_from: Annotated[date | None, Query(description="issued on or after (YYYY-MM-DD)")] = None,
    issued_to: Annotated[date | None, Query(description="issued on or before")] = None,
    received_from: Annotated[date | None, Query(description="received on or after (day in Vietnam)")] = None,
    received_to: Annotated[date | None, Query(description="received on or before")] = None,
    state: DocumentState | None = None,
    signed: Annotated[bool | None, Query(description="true: carries a signature; false: none")] = None,
    superseded: Annotated[bool | None, Query(description="true: replaced by an archived newer document")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchResponse:
    query = SearchQuery(
        text=text,
        filters=DocumentFilters(
            procedure_code=procedure_code,
            dossier_code=dossier_code,
            number=number,
            document_type=document_type,
            issuer=issuer,
            issued_from=issued_from,
            issued_to=issued_to,
            received_from=received_from,
            received_to=received_to,
            state=state,
            signed=signed,
            superseded=superseded,
        ),
        limit=limit,
        offset=offset,
    )
    found = run_search(rt, query)
    results = [SearchResultPublic.model_validate(hit.to_dict()) for hit in found.hits]
    return SearchResponse(total=found.total, limit=found.limit, offset=found.offset, results=results)

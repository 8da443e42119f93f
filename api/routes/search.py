"""Search the archive: ``GET /api/v1/search`` by codes, metadata and what the documents say."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from sohoa.api.deps import DocumentReader, RuntimeDep
from sohoa.api.schemas import errors
from sohoa.core.domain import DocumentState
from sohoa.pipeline.actions.search import search as run_search
from sohoa.storage.search import MAX_LIMIT, DocumentFilters, SearchQuery

__all__ = ["SearchResponse", "SearchResultPublic", "SnippetPublic", "router"]

router = APIRouter(prefix="/api/v1/search", tags=["search"])

ERRORS = errors(401, 403, 422)


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


class SearchParams(BaseModel):
    """The query string: the text, one parameter per field of ``DocumentFilters``, and the page."""

    text: str | None = Field(default=None, description='words and "quoted phrases"; accents optional')
    procedure_code: str | None = Field(default=None, description="exact, or prefix by whole segments")
    dossier_code: str | None = Field(default=None, description="exact")
    number: str | None = Field(default=None, description="số/ký hiệu: 12/2024/QĐ-UBND, 12/QĐ-UBND, 12 or QĐ-UBND")
    document_type: str | None = Field(default=None, description="name or abbreviation: Quyết định, QĐ")
    issuer: str | None = Field(default=None, description="words of the issuer, in order")
    issued_from: date | None = Field(default=None, description="issued on or after (YYYY-MM-DD)")
    issued_to: date | None = Field(default=None, description="issued on or before")
    received_from: date | None = Field(default=None, description="received on or after (day in Vietnam)")
    received_to: date | None = Field(default=None, description="received on or before")
    state: DocumentState | None = None
    signed: bool | None = Field(default=None, description="true: carries a signature; false: none")
    superseded: bool | None = Field(default=None, description="true: replaced by an archived newer document")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)

    def query(self) -> SearchQuery:
        filters = DocumentFilters(**self.model_dump(exclude={"text", "limit", "offset"}))
        return SearchQuery(text=self.text, filters=filters, limit=self.limit, offset=self.offset)


@router.get("", response_model=SearchResponse, responses=ERRORS)
def search(rt: RuntimeDep, _user: DocumentReader, params: Annotated[SearchParams, Query()]) -> SearchResponse:
    found = run_search(rt, params.query())
    results = [SearchResultPublic.model_validate(hit.to_dict()) for hit in found.hits]
    return SearchResponse(total=found.total, limit=params.limit, offset=params.offset, results=results)

"""``search_documents``: filters, full text, ranking, paging and snippets, on either engine."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, defer

from sohoa.core.clock import to_local
from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected
from sohoa.storage.records import DocumentRecord, PageRecord
from sohoa.storage.search.engines import engine_for
from sohoa.storage.search.filters import DocumentFilters, filter_conditions, unindexed
from sohoa.storage.search.snippets import Snippet, SnippetSource, best_snippet
from sohoa.storage.search.textquery import TextQuery, parse_text_query

__all__ = ["MAX_LIMIT", "SearchHit", "SearchQuery", "SearchResults", "search_documents"]

MAX_LIMIT = 500


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None  # words and "quoted phrases", accents optional
    filters: DocumentFilters = field(default_factory=DocumentFilters)
    limit: int = 20
    offset: int = 0


def _iso(moment: datetime | None) -> str | None:
    return to_local(moment).isoformat() if moment is not None else None


@dataclass(frozen=True)
class SearchHit:
    document: DocumentRecord
    score: int | None  # None when the search had no text
    snippet: Snippet | None
    title: str | None = None  # what people call it (the cleaned subject), set by the search action

    def to_dict(self) -> dict[str, Any]:
        """The JSON form shared by the API and the CLI."""
        doc = self.document
        return {
            "id": doc.id,
            "title": self.title,
            "batch_id": doc.batch_id,
            "filename": doc.filename,
            "state": doc.state,
            "reason_code": doc.reason_code,
            "procedure_code": doc.procedure_code,
            "dossier_code": doc.dossier_code,
            "sha256": doc.original_sha256,
            "page_count": doc.page_count,
            "metadata": doc.metadata_json,
            "archive_key": doc.archive_key,
            "archive_sha256": doc.archive_sha256,
            "signature_level": doc.signature_level,
            "kept_signature": doc.kept_signature,
            "signed_at": _iso(doc.signed_at),
            "received_at": _iso(doc.received_at),
            "archived_at": _iso(doc.archived_at),
            "score": self.score,
            "snippet": self.snippet.to_dict() if self.snippet else None,
        }


@dataclass(frozen=True)
class SearchResults:
    """What one page of a search found; the page asked for is the query's own."""

    total: int
    hits: tuple[SearchHit, ...]


def _fields(doc: DocumentRecord) -> Iterator[SnippetSource]:
    """What else a match can be in: metadata values, the file name, the codes."""
    for key, value in (doc.metadata_json or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and key != "confidence":
                yield SnippetSource(item, field=key)
    yield SnippetSource(doc.filename, field="filename")
    for key, code in (("procedure_code", doc.procedure_code), ("dossier_code", doc.dossier_code)):
        if code:
            yield SnippetSource(code, field=key)


def _snippets(session: Session, docs: list[DocumentRecord], query: TextQuery) -> dict[str, Snippet | None]:
    """One snippet per document, reading the pages of all of them in one pass, in page order."""
    by_id = {doc.id: doc for doc in docs}
    out: dict[str, Snippet | None] = {}
    rows = session.execute(
        select(PageRecord.document_id, PageRecord.page_index, PageRecord.text)
        .where(PageRecord.document_id.in_(list(by_id)))
        .order_by(PageRecord.document_id, PageRecord.page_index)
        .execution_options(yield_per=64)  # long documents stream; pages after a full snippet are skipped
    )
    try:
        for doc_id, group in itertools.groupby(rows, key=lambda row: row[0]):
            pages = (SnippetSource(row[2], page=row[1]) for row in group)
            out[doc_id] = best_snippet(itertools.chain(pages, _fields(by_id[doc_id])), query)
    finally:
        rows.close()
    for doc in docs:
        if doc.id not in out:  # no page text stored
            out[doc.id] = best_snippet(_fields(doc), query)
    return out


def _load(session: Session, ids: list[str]) -> list[DocumentRecord]:
    """The documents of ``ids``, in that order."""
    # search_text can be megabytes and no result shows it
    stmt = select(DocumentRecord).where(DocumentRecord.id.in_(ids)).options(defer(DocumentRecord.search_text))
    by_id = {d.id: d for d in session.scalars(stmt)}
    return [by_id[i] for i in ids]


def _ranked(
    session: Session, text_query: TextQuery, query: SearchQuery, conditions: list[Any]
) -> tuple[int, list[tuple[str, int]]]:
    engine = engine_for(session)
    engine.prepare(session)
    match = engine.match(text_query)
    # Archived records first, whatever the score: a failed or unsigned copy never outranks the record.
    tier = case((DocumentRecord.state == _ARCHIVED, 0), else_=1)
    inner = select(DocumentRecord.id, DocumentRecord.received_at, match.score.label("score"), tier.label("tier"))
    for target, on in match.joins:
        inner = inner.join(target, on)
    matches = inner.where(match.condition, *conditions).cte("search_matches")
    total = select(func.count()).select_from(matches).scalar_subquery()
    rows = session.execute(
        select(matches.c.id, matches.c.score, total.label("total"))
        .order_by(matches.c.tier, matches.c.score.desc(), matches.c.received_at.desc(), matches.c.id)
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    if rows:
        return int(rows[0].total), [(r.id, int(r.score)) for r in rows]
    count = session.scalar(select(func.count()).select_from(matches)) if query.offset else 0
    return int(count or 0), []


_ARCHIVED = DocumentState.ARCHIVED.value
_NOT_ARCHIVED = [s.value for s in DocumentState if s is not DocumentState.ARCHIVED]


def _page_archived_first(session: Session, conditions: list[Any], query: SearchQuery) -> list[str]:
    """Ids of one page without text: archived records (newest received first), then the others.

    Two queries, each ordered by ``received_at`` alone, rather than one ordered by a state tier: an
    ordering no index holds would sort every matching row of a large archive for one page."""
    order = (DocumentRecord.received_at.desc(), DocumentRecord.id)
    state: Any = DocumentRecord.state
    if conditions:  # codes or filters find the rows; the state index must not take the plan from them
        state = unindexed(session.get_bind().dialect.name, "documents.state")
    archived = select(DocumentRecord.id).where(*conditions, state == _ARCHIVED)
    ids = list(session.scalars(archived.order_by(*order).limit(query.limit).offset(query.offset)))
    if len(ids) == query.limit:
        return ids
    if ids or query.offset == 0:
        skip = 0
    else:  # the page starts past the archived records: skip what is left of the offset among the others
        skip = query.offset - (session.scalar(select(func.count()).select_from(archived.subquery())) or 0)
    others = select(DocumentRecord.id).where(*conditions, state.in_(_NOT_ARCHIVED))
    return ids + list(session.scalars(others.order_by(*order).limit(query.limit - len(ids)).offset(max(0, skip))))


def search_documents(session: Session, query: SearchQuery) -> SearchResults:
    """Documents matching every filter and, if given, the text; best first, paged, with snippets.

    Archived records come before all others (a failed or unsigned copy never outranks them). Within
    each, with text, documents are ordered by score (see ``storage.search.engines``), then newest
    received first, then id; without, newest received first, then id.
    """
    if not 1 <= query.limit <= MAX_LIMIT or query.offset < 0:
        raise InputRejected(
            f"limit must be 1..{MAX_LIMIT} and offset at least 0", code="invalid_paging", details={"max": MAX_LIMIT}
        )
    text_query = parse_text_query(query.text) if query.text is not None and query.text.strip() else None
    conditions = filter_conditions(session, query.filters, text_driven=text_query is not None)
    if text_query is None:
        stmt = select(DocumentRecord.id).where(*conditions)
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        ids = _page_archived_first(session, conditions, query)
        docs = _load(session, ids)
        hits = tuple(SearchHit(doc, None, None) for doc in docs)
        return SearchResults(int(total), hits)
    total, ranked = _ranked(session, text_query, query, conditions)
    docs = _load(session, [doc_id for doc_id, _ in ranked])
    snippets = _snippets(session, docs, text_query) if docs else {}
    hits = tuple(SearchHit(doc, score, snippets[doc.id]) for doc, (_, score) in zip(docs, ranked, strict=True))
    return SearchResults(total, hits)

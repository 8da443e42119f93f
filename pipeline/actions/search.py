"""Search the archive: one function for the API, the search page and ``sohoa search``."""

from __future__ import annotations

from dataclasses import replace

from sohoa.pipeline.actions.documents import document_title
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.search import SearchQuery, SearchResults, search_documents

__all__ = ["search"]


def search(rt: Runtime, query: SearchQuery) -> SearchResults:
    """Best matches first (archived records before the rest), with snippets and each result's title."""
    with rt.db.session() as session:
        found = search_documents(session, query)
    return replace(found, hits=tuple(replace(hit, title=document_title(hit.document)) for hit in found.hits))

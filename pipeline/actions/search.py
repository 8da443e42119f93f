"""Search the archive: one function for the API, the search page and ``sohoa search``."""

from __future__ import annotations

from sohoa.pipeline.runtime import Runtime
from sohoa.storage.search import SearchQuery, SearchResults, search_documents

__all__ = ["search"]


def search(rt: Runtime, query: SearchQuery) -> SearchResults:
    """Best matches first, with snippets; filters and paging as ``query`` says."""
    with rt.db.session() as session:
        return search_documents(session, query)

"""Archive search: by procedure code, dossier code, metadata, and by what the documents say.

One interface (``search_documents``) over two engines chosen by the session's database:
PostgreSQL full text and SQLite FTS5, which index the same folded text the same way and rank
alike, so both answer the same. See ``engines`` for matching and scoring, ``schema`` for the
indexes (created by migration 0003), ``snippets`` for highlighting in the original Vietnamese.
"""

from sohoa.storage.search.filters import DocumentFilters
from sohoa.storage.search.query import MAX_LIMIT, SearchHit, SearchQuery, SearchResults, search_documents
from sohoa.storage.search.snippets import Snippet
from sohoa.storage.search.textquery import TextQuery, parse_text_query

__all__ = [
    "MAX_LIMIT",
    "DocumentFilters",
    "SearchHit",
    "SearchQuery",
    "SearchResults",
    "Snippet",
    "TextQuery",
    "parse_text_query",
    "search_documents",
]

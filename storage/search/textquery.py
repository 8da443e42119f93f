"""What a person types into the search box, as folded tokens both engines index alike.

A token is a maximal run of ``[a-z0-9]`` in ``core.text.fold`` of the text: the SQLite
tokenizer and the PostgreSQL index expression (see ``storage.search.schema``) cut the
folded ``search_text`` at exactly the same places, so a query means the same on both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.core.errors import InputRejected
from sohoa.core.text import fold, nfc

__all__ = ["MAX_QUERY_TOKENS", "MAX_TOKEN_CHARS", "TextQuery", "parse_text_query", "tokenize"]

MAX_QUERY_TOKENS = 32
# No word of any language is longer; PostgreSQL refuses a query word past 2 KB with an error.
MAX_TOKEN_CHARS = 100

_TOKEN = re.compile(r"[a-z0-9]+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_PART = re.compile(r'"([^"]*)"?|(\S+)')


def tokenize(text: str) -> list[str]:
    """The search tokens of ``text`` (folded first)."""
    return _TOKEN.findall(fold(text))


@dataclass(frozen=True)
class TextQuery:
    """Every item must be present: a one-token item is a word, a longer one a phrase (adjacent tokens)."""

    items: tuple[tuple[str, ...], ...]

    @property
    def tokens(self) -> tuple[str, ...]:
        """Distinct tokens of all items, in query order: what the score counts."""
        return tuple(dict.fromkeys(token for item in self.items for token in item))

    @property
    def phrases(self) -> tuple[tuple[str, ...], ...]:
        return tuple(item for item in self.items if len(item) > 1)


def parse_text_query(text: str) -> TextQuery:
    """Words and "quoted phrases"; a word that folds to several tokens (``QĐ-UBND``) is a phrase."""
    items: list[tuple[str, ...]] = []
    for quoted, word in _PART.findall(nfc(text).translate(_QUOTES)):
        tokens = tuple(tokenize(quoted or word))
        if tokens and tokens not in items:
            items.append(tokens)
    if not items:
        raise InputRejected(
            f"Truy vấn không có từ nào để tìm / the query has no searchable word: {text!r}",
            code="invalid_query",
            details={"text": text},
        )
    query = TextQuery(tuple(items))
    if any(len(token) > MAX_TOKEN_CHARS for token in query.tokens):
        raise InputRejected(
            f"Truy vấn có từ quá dài / a word of the query is longer than {MAX_TOKEN_CHARS} letters",
            code="query_word_too_long",
            details={"max_chars": MAX_TOKEN_CHARS},
        )
    if len(query.tokens) > MAX_QUERY_TOKENS or sum(map(len, items)) > 2 * MAX_QUERY_TOKENS:
        raise InputRejected(
            f"Truy vấn quá dài / the query has more than {MAX_QUERY_TOKENS} words",
            code="query_too_long",
            details={"max_tokens": MAX_QUERY_TOKENS},
        )
    return query

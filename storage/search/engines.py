"""One interface, two engines: how a text query becomes SQL on PostgreSQL and on SQLite.

Both engines agree on what matches and on the score, so a search answers the same on
either database:

- match: every word of the query is a token of the document's searchable text, and every
  phrase occurs as adjacent tokens (see ``storage.search.textquery`` and ``.schema``);
- score: for each distinct query token, the number of its occurrences (at most 255, where
  PostgreSQL's tsvector stops counting), summed. An integer, so ties are exact and are broken
  the same way by the caller.

PostgreSQL clamps token positions at 16383: past that, phrase adjacency and counts read from
the tsvector would be wrong, so texts long enough to reach it are checked on the text instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    TextClause,
    and_,
    bindparam,
    literal_column,
    text,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.types import Text

from sohoa.core.errors import ConfigurationError
from sohoa.storage.search.schema import postgres_plain_sql, repair_sqlite_index
from sohoa.storage.search.textquery import TextQuery

__all__ = ["PostgresEngine", "SearchEngine", "SqliteEngine", "TextMatch", "engine_for"]

MAX_COUNT = 255  # PostgreSQL keeps at most 255 positions per lexeme


@dataclass(frozen=True)
class TextMatch:
    """SQL pieces over ``documents``: which rows match, their score, and tables to join for it."""

    condition: ColumnElement[bool] | TextClause
    score: ColumnElement[int]
    joins: tuple[tuple[FromClause, ColumnElement[bool]], ...] = ()


class SearchEngine(Protocol):
    name: str

    def prepare(self, session: Session) -> None:
        """Make sure the index is usable before a text search."""

    def match(self, query: TextQuery) -> TextMatch:
        """The SQL that finds and scores documents for ``query``."""


# Every token of a text shorter than this has a position below PostgreSQL's clamp (16383):
# a token takes at least one character and one separator.
_EXACT_POSITIONS_BELOW = 2 * 16383
_ZETA2 = 1.6449340668482264  # π²/6, the limit of Σ 1/j²


class PostgresEngine:
    name = "postgresql"

    def prepare(self, session: Session) -> None:
        return None

    def match(self, query: TextQuery) -> TextMatch:
        every = " & ".join(f"'x{token}'" for token in query.tokens)
        condition: ColumnElement[bool] | TextClause = text(
            "documents.search_vector @@ CAST(:search_every AS tsquery)"
        ).bindparams(search_every=every)
        # octet_length reads the stored size without decompressing the text; bytes >= characters
        length = "coalesce(octet_length(documents.search_text), 0)"
        plain = f"(' ' || {postgres_plain_sql('documents.search_text')} || ' ')"
        if query.phrases:
            adjacent = " & ".join("(" + " <-> ".join(f"'x{t}'" for t in phrase) + ")" for phrase in query.phrases)
            names = [f"search_phrase_{i}" for i in range(len(query.phrases))]
            in_text = " AND ".join(f"position(:{name} in {plain}) > 0" for name in names)
            condition = and_(
                condition,
                text(
                    f"CASE WHEN {length} < {_EXACT_POSITIONS_BELOW} "
                    f"THEN documents.search_vector @@ CAST(:search_adjacent AS tsquery) ELSE {in_text} END"
                ).bindparams(
                    search_adjacent=adjacent,
                    **{name: f" {' '.join(phrase)} " for name, phrase in zip(names, query.phrases, strict=True)},
                ),
            )
        # The count of one token, from ts_rank of that token alone with unit weights: PostgreSQL
        # ranks n occurrences (Σ 1/j², j = 1..n) / ζ(2) (calc_rank_or), strictly increasing in n, and
        # 1 / (ζ(2)(1 - rank)) - 1/2 stays within 0.06 of n for every n up to the 255 positions a
        # lexeme keeps (tested exhaustively). ts_rank_cd gives the sum directly but builds covers:
        # it cost most of a common word's search (10,000 matches at 1,000,000 documents).
        counts = " + ".join(
            f"round(1.0 / ({_ZETA2} * (1.0 - ts_rank('{{1,1,1,1}}', documents.search_vector,"
            f" CAST(:search_token_{i} AS tsquery))::float8)) - 0.5)"
            for i in range(len(query.tokens))
        )
        score = text(
            f"CASE WHEN {length} < {_EXACT_POSITIONS_BELOW} THEN ({counts})::integer"
            f" ELSE (SELECT coalesce(sum(least({MAX_COUNT}, regexp_count({plain}, ' ' || t || '(?= )'))), 0)"
            " FROM unnest(:search_tokens) AS t)::integer END"
        ).bindparams(
            *(bindparam(f"search_token_{i}", f"'x{t}'") for i, t in enumerate(query.tokens)),
            bindparam("search_tokens", list(query.tokens), type_=ARRAY(Text)),
        )
        return TextMatch(condition=condition, score=type_coerce(score, Integer))


class SqliteEngine:
    name = "sqlite"

    def prepare(self, session: Session) -> None:
        repair_sqlite_index(session.connection())

    def match(self, query: TextQuery) -> TextMatch:
        expression = " ".join('"' + " ".join(item) + '"' for item in query.items)  # tokens are [a-z0-9]+
        condition = text(
            "documents.rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH :search_match)"
        ).bindparams(search_match=expression)
        # Every matching document holds every token, so it has a row here: an inner join will do.
        counts = (
            text(
                "SELECT doc, sum(n) AS score FROM ("
                f" SELECT doc, min({MAX_COUNT}, count(*)) AS n FROM documents_fts_vocab"
                " WHERE term IN :search_terms GROUP BY doc, term"
                ") GROUP BY doc"
            )
            .bindparams(bindparam("search_terms", list(query.tokens), expanding=True))
            .columns(doc=Integer, score=Integer)
            .subquery("search_counts")
        )
        on = counts.c.doc == literal_column("documents.rowid")
        return TextMatch(condition=condition, score=counts.c.score, joins=((counts, on),))


def engine_for(session: Session) -> SearchEngine:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresEngine()
    if dialect == "sqlite":
        return SqliteEngine()
    raise ConfigurationError(f"search supports PostgreSQL and SQLite, not {dialect}", code="unsupported_database")

"""The structured filters of a search, as SQL conditions over ``documents`` that both engines share.

With a text query or a code (procedure, dossier, number), those drive the plan through their
indexes, and broad filters (dates, type, issuer, state) are written so that no index matches
them: they are checked on the rows found. Otherwise PostgreSQL, costing pages as if read from
disk, intersects a few thousand matches with bitmaps of a third of the archive, and SQLite
prefers a date index to a code range.

Metadata lives in a JSON column; the fields a person types loosely (document type, issuer,
symbol) are matched accent-insensitively by folding their *distinct stored values* in Python
with ``core.text.fold`` and filtering on the exact values that match. The distinct values are
read by skipping through each field's expression index, so this costs one index probe per
distinct value (dozens of types, hundreds of issuers), not a scan of the documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, literal_column, or_, text
from sqlalchemy.orm import Session

from sohoa.core.clock import VN_TZ
from sohoa.core.codes import typed_code, validate_dossier_code
from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected
from sohoa.storage.records import DocumentRecord, UTCDateTime
from sohoa.storage.search.schema import metadata_sql
from sohoa.storage.search.textquery import tokenize

__all__ = ["DocumentFilters", "filter_conditions", "unindexed"]

# Beyond this many distinct values of a field, a loose match is refused rather than slow.
MAX_DISTINCT_VALUES = 50_000


@dataclass(frozen=True)
class DocumentFilters:
    procedure_code: str | None = None  # exact, or prefix by whole segments: 1.001029 finds 1.001029.000.00.00.H19
    dossier_code: str | None = None  # exact; a code not of the one-stop shape is refused (invalid_dossier_code)
    number: str | None = None  # "12/2024/QĐ-UBND", "12/QĐ-UBND", "12" or "QĐ-UBND"
    document_type: str | None = None  # name or abbreviation, accents optional: "Quyết định", "quyet dinh", "QĐ"
    issuer: str | None = None  # words of the issuer, in order, accents optional: "ha giang"
    issued_from: date | None = None  # metadata issued_date, inclusive
    issued_to: date | None = None
    received_from: date | None = None  # received_at, by calendar day in Vietnam, inclusive
    received_to: date | None = None
    state: DocumentState | None = None
    signed: bool | None = None  # carries a signature: ours (signature_level) or the one kept from the original
    superseded: bool | None = None  # replaced by an archived newer document (storage.archive_records)


def _procedure(dialect: str, code: str) -> ColumnElement[bool]:
    column = DocumentRecord.procedure_code
    prefix: ColumnElement[bool]
    if dialect == "postgresql":
        prefix = column.startswith(code + ".", autoescape=True)  # ix_documents_procedure_code_pattern
        return or_(column == code, prefix)
    # SQLite's LIKE ignores case and so its indexes: one binary range (that the planner uses,
    # unlike an OR) holds the code and every code beginning with it and a character below "/".
    return and_(
        column >= code,
        column < code + "/",
        or_(column == code, func.substr(column, len(code) + 1, 1) == "."),
    )


def unindexed(dialect: str, sql: str, *, timestamp: bool = False) -> ColumnElement[Any]:
    """A value equal to ``sql`` that no index matches, so other conditions choose the plan."""
    if dialect != "postgresql":
        return literal_column(f"+{sql}")  # SQLite's documented way to keep a term off its index
    return literal_column(f"({sql} + interval '0 seconds')" if timestamp else f"({sql} || '')")


@dataclass(frozen=True)
class _Context:
    session: Session
    dialect: str
    indexed: bool  # may broad filters use their indexes?

    def plain(self, sql: str, *, timestamp: bool = False) -> ColumnElement[Any]:
        """``sql`` itself, or an equal value no index matches."""
        return unindexed(self.dialect, sql, timestamp=timestamp) if not self.indexed else literal_column(sql)

    def meta(self, field: str) -> ColumnElement[Any]:
        return self.plain(metadata_sql(self.dialect, field))


def _distinct_values(session: Session, dialect: str, field: str) -> list[str]:
    expr = metadata_sql(dialect, field)
    rows = session.execute(
        text(
            f"WITH RECURSIVE v(x) AS ("
            f" SELECT (SELECT {expr} FROM documents WHERE {expr} IS NOT NULL ORDER BY {expr} LIMIT 1)"
            f" UNION ALL"
            f" SELECT (SELECT {expr} FROM documents WHERE {expr} > v.x ORDER BY {expr} LIMIT 1)"
            f" FROM v WHERE v.x IS NOT NULL"
            f") SELECT x FROM v WHERE x IS NOT NULL LIMIT :cap"
        ),
        {"cap": MAX_DISTINCT_VALUES + 1},
    ).scalars()
    values = [str(v) for v in rows]
    if len(values) > MAX_DISTINCT_VALUES:
        raise InputRejected(
            f"too many distinct values of {field} to match loosely; give the exact value",
            code="filter_too_broad",
            details={"field": field},
        )
    return values


def _loose(ctx: _Context, fields: tuple[str, ...], wanted: Callable[[list[str]], bool]) -> ColumnElement[bool]:
    """Documents whose value of one of ``fields`` folds to tokens that ``wanted`` accepts."""
    conditions = []
    for field in fields:
        values = [v for v in _distinct_values(ctx.session, ctx.dialect, field) if wanted(tokenize(v))]
        if values:
            conditions.append(ctx.meta(field).in_(values))
    return or_(*conditions) if conditions else false()


def _contains(tokens: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(tokens[i : i + n] == part for i in range(len(tokens) - n + 1))


def _required_tokens(value: str, what: str) -> list[str]:
    tokens = tokenize(value)
    if not tokens:
        raise InputRejected(f"the {what} filter has no letter or digit: {value!r}", code="invalid_filter")
    return tokens


_NUMBER = re.compile(r"^\s*(?P<number>\d+)?\s*(?:/\s*(?P<year>\d{4})(?=\s*(?:/|$)))?\s*/?\s*(?P<symbol>.*?)\s*$")


def _number(ctx: _Context, value: str) -> ColumnElement[bool]:
    m = _NUMBER.match(value)
    assert m is not None  # every part is optional
    conditions: list[ColumnElement[bool]] = []
    if m["number"]:  # selective: keeps its index
        conditions.append(literal_column(metadata_sql(ctx.dialect, "number")) == m["number"])
    if m["year"]:
        year: ColumnElement[Any] = literal_column(metadata_sql(ctx.dialect, "number_year"))
        # JSON numbers come back as text from ->> but as integers from json_extract.
        conditions.append(year == m["year"] if ctx.dialect == "postgresql" else year == int(m["year"]))
    if m["symbol"]:
        symbol = _required_tokens(m["symbol"], "number")
        conditions.append(_loose(ctx, ("symbol",), lambda tokens: tokens == symbol))
    if not conditions:
        raise InputRejected(f"the number filter is empty: {value!r}", code="invalid_filter")
    return and_(*conditions)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=VN_TZ).astimezone(UTC)


def _superseded(wanted: bool) -> ColumnElement[bool]:
    # A document counts as superseded once its replacement is archived (storage.archive_records).
    from sohoa.storage.archive_records import superseded_ids

    return DocumentRecord.id.in_(superseded_ids()) if wanted else DocumentRecord.id.not_in(superseded_ids())


def filter_conditions(
    session: Session, flt: DocumentFilters, *, text_driven: bool = False
) -> list[ColumnElement[bool]]:
    """SQL conditions for ``flt`` (empty when nothing is filtered).

    ``text_driven``: a full-text condition comes with these; broad filters then stay off their indexes.
    """
    numbered = bool(flt.number and (m := _NUMBER.match(flt.number)) and m["number"])
    codes = numbered or any(v and v.strip() for v in (flt.procedure_code, flt.dossier_code))
    ctx = _Context(session, session.get_bind().dialect.name, indexed=not (text_driven or codes))
    out: list[ColumnElement[bool]] = []
    if flt.procedure_code and flt.procedure_code.strip():
        out.append(_procedure(ctx.dialect, typed_code(flt.procedure_code)))
    if flt.dossier_code and flt.dossier_code.strip():
        # Checked as everywhere else a code is typed (upload, dossiers show): a malformed or
        # lower-case code is refused with the expected shape rather than finding nothing.
        out.append(DocumentRecord.dossier_code == validate_dossier_code(flt.dossier_code))
    if flt.number and flt.number.strip():
        out.append(_number(ctx, flt.number))
    if flt.document_type and flt.document_type.strip():
        kind = _required_tokens(flt.document_type, "type")
        out.append(_loose(ctx, ("document_type", "type_code"), lambda tokens: tokens == kind))
    if flt.issuer and flt.issuer.strip():
        words = _required_tokens(flt.issuer, "issuer")
        out.append(_loose(ctx, ("issuer",), lambda tokens: _contains(tokens, words)))
    if flt.issued_from:
        out.append(ctx.meta("issued_date") >= flt.issued_from.isoformat())
    if flt.issued_to:
        # ISO dates compare as text; the upper bound is the whole day.
        out.append(ctx.meta("issued_date") <= flt.issued_to.isoformat())
    received = ctx.plain("documents.received_at", timestamp=True)
    if flt.received_from:
        out.append(received >= bindparam("received_from", _day_start(flt.received_from), type_=UTCDateTime()))
    if flt.received_to:
        end = _day_start(flt.received_to + timedelta(days=1))
        out.append(received < bindparam("received_to", end, type_=UTCDateTime()))
    if flt.state is not None:
        out.append(ctx.plain("documents.state") == flt.state.value)
    if flt.signed is not None:
        signed = or_(DocumentRecord.signature_level.isnot(None), DocumentRecord.kept_signature.is_(True))
        out.append(signed if flt.signed else ~signed)
    if flt.superseded is not None:
        out.append(_superseded(flt.superseded))
    return out

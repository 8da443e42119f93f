"""Rows of an imported file (CSV or JSON), each with the line number a person would look for.

Headers are matched on their folded form, so ``Mã hồ sơ``, ``ma_ho_so`` and ``dossier_code``
can all name one column; the caller gives the aliases.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, BinaryIO, TypeVar

from sqlalchemy.orm import Session

from sohoa.core.errors import InputRejected
from sohoa.core.text import fold, nfc, normalize_space
from sohoa.storage.catalogue import record_event
from sohoa.storage.upserts import Upsert, upsert_by_key

__all__ = [
    "MAX_IMPORT_BYTES",
    "ImportReport",
    "RowError",
    "SourceFormat",
    "SourceRow",
    "Upsert",
    "detect_format",
    "import_rows",
    "read_limited",
    "read_rows",
    "record_import",
]

# A year of a province's register is a few megabytes; far more is a mistake, not a register.
MAX_IMPORT_BYTES = 64 * 1024 * 1024


class SourceFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class SourceRow:
    line: int  # CSV: the physical line the record starts on (header = 1); JSON: the item's position, from 1
    values: dict[str, str]  # canonical column -> NFC text, stripped ("" when absent)
    problem: str | None = None  # the record could not be read as a row at all

    def text(self, column: str) -> str | None:
        """A name read from the row, its spaces folded; None when the cell is blank."""
        return normalize_space(nfc(self.values[column])) or None

    def key(self, column: str, validate: Callable[[str], str]) -> str | RowError:
        """The code that keys the row (its ``column`` checked by ``validate``), or the RowError of a row
        that could not be read or whose code is refused."""
        if self.problem:
            return RowError(self.line, "unreadable_row", self.problem)
        raw = self.values[column]
        try:
            return validate(raw)
        except InputRejected as exc:
            return RowError(self.line, exc.code, exc.message, raw or None)


def read_limited(stream: BinaryIO, max_bytes: int = MAX_IMPORT_BYTES) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputRejected(f"the file is larger than {max_bytes} bytes", code="file_too_large")
    return data


def detect_format(data: bytes, filename: str | None = None) -> SourceFormat:
    """By extension when there is one, else by the first non-blank character."""
    name = (filename or "").lower()
    if name.endswith(".json"):
        return SourceFormat.JSON
    if name.endswith((".csv", ".txt")):
        return SourceFormat.CSV
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return SourceFormat.JSON if head in (b"[", b"{") else SourceFormat.CSV


def _header_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(nfc(name)).strip()).strip("_")


def _decode(data: bytes) -> str:
    try:
        return nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        # Spreadsheets on Windows still save "CSV" as cp1258 now and then; refuse rather than guess.
        raise InputRejected("the file is not UTF-8 text", code="not_utf8") from None


def _canonical_map(headers: list[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[int, str]:
    wanted = {_header_key(alias): column for column, names in aliases.items() for alias in (column, *names)}
    out: dict[int, str] = {}
    for index, header in enumerate(headers):
        column = wanted.get(_header_key(header))
        if column is not None and column not in out.values():
            out[index] = column
    return out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return nfc(str(value)).strip()


def read_rows(
    data: bytes,
    fmt: SourceFormat,
    *,
    aliases: Mapping[str, tuple[str, ...]],
    required: tuple[str, ...],
) -> Iterator[SourceRow]:
    """Yield one row per record; a missing required column refuses the whole file (no row is usable)."""
    text = _decode(data)
    if fmt is SourceFormat.JSON:
        yield from _json_rows(text, aliases, required)
    else:
        yield from _csv_rows(text, aliases, required)


def _missing_columns(found: set[str], required: tuple[str, ...]) -> None:
    missing = [c for c in required if c not in found]
    if missing:
        raise InputRejected(
            f"missing column(s): {', '.join(missing)}",
            code="missing_columns",
            details={"missing": missing},
        )


def _csv_rows(text: str, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[SourceRow]:
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample else ""
    # Spreadsheets with a Vietnamese locale separate with semicolons.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise InputRejected("the file is empty", code="empty_file") from None
    columns = _canonical_map(headers, aliases)
    _missing_columns(set(columns.values()), required)
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in record):
            continue  # blank lines carry nothing
        values = {column: "" for column in aliases}
        for index, column in columns.items():
            if index < len(record):
                values[column] = _cell(record[index])
        yield SourceRow(line, values)


def _json_rows(text: str, aliases: Mapping[str, tuple[str, ...]], required: tuple[str, ...]) -> Iterator[SourceRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputRejected(f"invalid JSON: {exc.msg} at line {exc.lineno}", code="invalid_json") from None
    items = document
    if isinstance(document, dict):
        # {"entries": [...]} or {"procedures": [...]}: the one list in the object
        lists = [v for v in document.values() if isinstance(v, list)]
        items = lists[0] if len(lists) == 1 else None
    if not isinstance(items, list):
        raise InputRejected("expected a JSON array of objects", code="invalid_json")
    found: set[str] = set()
    rows: list[SourceRow] = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            rows.append(SourceRow(position, {column: "" for column in aliases}, problem="not a JSON object"))
            continue
        keys = list(item.keys())
        columns = _canonical_map(keys, aliases)
        found.update(columns.values())
        values = {column: "" for column in aliases}
        for index, column in columns.items():
            values[column] = _cell(item[keys[index]])
        rows.append(SourceRow(position, values))
    if rows:
        _missing_columns(found, required)
    yield from rows


@dataclass(frozen=True)
class RowError:
    line: int  # as in SourceRow.line
    code: str  # stable, like the error tree's codes
    message: str
    key: str | None = None  # the row's dossier or procedure code, when it had one


@dataclass(frozen=True)
class ImportReport:
    """What an import did: good rows are kept even when others are refused."""

    rows: int
    inserted: int
    updated: int
    unchanged: int
    errors: tuple[RowError, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [{"line": e.line, "code": e.code, "message": e.message, "key": e.key} for e in self.errors],
        }


def record_import(session: Session, report: ImportReport, *, actor: str, action: str) -> ImportReport:
    """The audit event of one import: its counts (the refused rows are counted, not copied)."""
    record_event(
        session,
        actor=actor,
        action=action,
        details={k: v for k, v in report.to_dict().items() if k != "errors"} | {"refused": len(report.errors)},
    )
    session.flush()
    return report


Row = TypeVar("Row")  # a parsed, valid row
Stored = TypeVar("Stored")  # its database record


def import_rows(
    session: Session,
    rows: Iterable[SourceRow],
    parse: Callable[[SourceRow], Row | RowError],
    upsert: Upsert[Row, Stored],
    *,
    actor: str,
    action: str,
) -> ImportReport:
    """Insert new rows and update changed ones by key; refused rows come back with their line numbers.

    A key given twice keeps its first row. Importing the same file again changes nothing.
    """
    errors: list[RowError] = []
    wanted: dict[str, tuple[int, Row]] = {}
    count = 0
    for row in rows:
        count += 1
        parsed = parse(row)
        if isinstance(parsed, RowError):
            errors.append(parsed)
            continue
        key = upsert.key(parsed)
        if key in wanted:
            message = f"{upsert.key_name} {key} already given on line {wanted[key][0]}"
            errors.append(RowError(row.line, upsert.duplicate_code, message, key))
        else:
            wanted[key] = (row.line, parsed)
    counts = upsert_by_key(session, {key: parsed for key, (_, parsed) in wanted.items()}, upsert)
    report = ImportReport(count, counts.inserted, counts.updated, counts.unchanged, tuple(errors))
    return record_import(session, report, actor=actor, action=action)

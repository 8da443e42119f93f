"""The title line naming the document type (``QUYẾT ĐỊNH``, ``GIẤY PHÉP ...``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sohoa.core.text import fold
from sohoa.ingest.doctypes import DocType, find_type_by_name
from sohoa.ingest.metadata.lines import _distance, _is_motto, _Line, _line, _upper_ratio


def _title_type(line: _Line) -> DocType | None:
    return _title_match(line)[0]


def _title_match(line: _Line) -> tuple[DocType | None, str]:
    """The type a title line names, and what follows the name on the same line (upper case)."""
    if _upper_ratio(line.text) < 0.6 or line.text.rstrip().endswith(":"):
        return None, ""
    key = " ".join(re.sub(r"[^a-z ]", " ", line.key).split())
    if not key:
        return None, ""
    found = find_type_by_name(key)
    if found:
        return found, ""
    allowance = 0 if len(key) <= 5 else 1 if len(key) <= 12 else 3
    best, best_d = None, allowance + 1
    for name, doc_type in _TYPE_NAMES:
        d = _distance(key, name)
        if d < best_d:
            best, best_d = doc_type, d
    if best is not None:
        return best, ""
    # GIẤY PHÉP KINH DOANH ...: a two-word type name, then the subject in capitals
    words = line.text.split()
    for size in (4, 3, 2):
        prefix = find_type_by_name(" ".join(words[:size]))
        if prefix is not None and len(words) > size and _upper_ratio(line.text) > 0.8:
            return prefix, " ".join(words[size:])
    return None, ""


def _type_names() -> list[tuple[str, DocType]]:
    from sohoa.ingest.doctypes import DOC_TYPES

    return [(fold(n), t) for t in DOC_TYPES for n in (t.name, *t.titles)]


_TYPE_NAMES = _type_names()


@dataclass(frozen=True)
class _Title:
    index: int
    doc_type: DocType
    span: int  # lines the title takes (receipt titles wrap)
    rest: str  # subject printed on the title line itself
    exact: bool

    @property
    def end(self) -> int:
        return self.index + self.span


def _find_title(lines: list[_Line]) -> _Title | None:
    first_page = lines[0].page if lines else 0
    for i, line in enumerate(lines[:70]):
        if line.page != first_page:
            break
        if _is_motto(line):
            continue
        found, rest = _title_match(line)
        if found:
            exact = bool(rest) or find_type_by_name(line.key) is not None
            return _Title(i, found, 1, rest, exact)
        if i + 1 < len(lines) and _upper_ratio(line.text) > 0.8 and len(line.key) < 40:
            joined = _line(f"{line.text} {lines[i + 1].text}", line.page, line.conf)
            found, rest = _title_match(joined)
            if found and found.name.count(" ") >= 3:
                return _Title(i, found, 2, rest, True)
    return None

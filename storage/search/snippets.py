"""Highlighted snippets in the original Vietnamese.

Matching happens on folded text (``core.text.fold``), but a person reads the NFC text:
each folded character is mapped back to the character of the original it came from, so a
match of ``quyet dinh`` highlights ``Quyết định`` exactly as printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sohoa.core.text import fold
from sohoa.storage.search.textquery import TextQuery

__all__ = ["Snippet", "SnippetSource", "best_snippet"]

_TOKEN = re.compile(r"[a-z0-9]+")
_SPACE = re.compile(r"\s+")
WIDTH = 200  # characters of context shown around the matches
LEAD = 40  # of which before the first highlighted match


@dataclass(frozen=True)
class SnippetSource:
    text: str  # NFC, as stored
    page: int | None = None  # 0-based page index, for page text
    field: str | None = None  # "filename" or a metadata key, for the rest


@dataclass(frozen=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) character offsets into ``text``
    page: int | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "highlights": [list(h) for h in self.highlights],
            "page": self.page,
            "field": self.field,
        }


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return fold(ch)


def _folded_with_origins(text: str) -> tuple[str, list[int] | None]:
    """``fold(text)`` and, unless every character folds to exactly one, where each folded one came from."""
    if all(len(_fold_char(ch)) == 1 for ch in set(text)):
        # Folding works character by character, so then the whole text folds in place.
        return fold(text), None
    parts: list[str] = []
    origins: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        parts.append(folded)
        origins.extend([i] * len(folded))
    return "".join(parts), origins


@dataclass(frozen=True)
class _Match:
    start: int  # in the original text
    end: int
    item: int  # index of the query item


def _matches(text: str, query: TextQuery) -> list[_Match]:
    folded, origins = _folded_with_origins(text)
    spans = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(folded)]
    tokens = [s[0] for s in spans]
    starting: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
    for index, item in enumerate(query.items):
        starting.setdefault(item[0], []).append((index, item))
    found: list[_Match] = []
    for k, token in enumerate(tokens):
        for index, item in starting.get(token, ()):
            if len(item) == 1 or tuple(tokens[k : k + len(item)]) == item:
                start, end = spans[k][1], spans[k + len(item) - 1][2]
                if origins is not None:
                    start, end = origins[start], origins[end - 1] + 1
                found.append(_Match(start, end, index))
    return found


def _best_window(matches: list[_Match]) -> tuple[int, list[_Match]]:
    """The window start covering the most distinct query items (then most matches, then earliest)."""
    best: tuple[int, int, int] = (-1, -1, 0)
    chosen: list[_Match] = []
    for i, first in enumerate(matches):
        inside = [m for m in matches[i:] if m.end <= first.start + WIDTH - LEAD]
        rank = (len({m.item for m in inside}), len(inside), -first.start)
        if rank > best:
            best, chosen = rank, inside
    return chosen[0].start, chosen


def _render(text: str, start: int, end: int, marks: list[_Match]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """``text[start:end]`` with runs of white space made one space, and the marks moved along."""
    out: list[str] = []
    highlights: list[tuple[int, int]] = []
    cursor = start
    length = 0

    def emit(piece: str) -> None:
        nonlocal length
        piece = _SPACE.sub(" ", piece)
        if out and out[-1].endswith(" ") and piece.startswith(" "):
            piece = piece[1:]
        out.append(piece)
        length += len(piece)

    for mark in marks:
        if mark.start < cursor:  # overlaps the previous mark: extend it
            if highlights and mark.end > cursor:
                emit(text[cursor : mark.end])
                highlights[-1] = (highlights[-1][0], length)
                cursor = mark.end
            continue
        emit(text[cursor : mark.start])
        begin = length
        emit(text[mark.start : mark.end])
        highlights.append((begin, length))
        cursor = mark.end
    emit(text[cursor:end])
    return "".join(out), tuple(highlights)


def _snippet(source: SnippetSource, matches: list[_Match]) -> tuple[Snippet, int]:
    """The snippet around the best window of ``matches``, and how many query items it shows."""
    text = source.text
    window_start, inside = _best_window(matches)
    start = max(0, window_start - LEAD)
    if start > 0:  # begin on a word
        space = text.find(" ", start, window_start)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + WIDTH)
    end = max(end, max(m.end for m in inside))
    if end < len(text):
        space = text.rfind(" ", max(m.end for m in inside), end)
        end = space if space != -1 else end
    body, highlights = _render(text, start, end, sorted(inside, key=lambda m: (m.start, -m.end)))
    lead = body[: len(body) - len(body.lstrip())]
    body = body.strip()
    shift = len(lead)
    highlights = tuple((a - shift, b - shift) for a, b in highlights)
    if start > 0:
        body, highlights = "…" + body, tuple((a + 1, b + 1) for a, b in highlights)
    if end < len(text):
        body += "…"
    return Snippet(text=body, highlights=highlights, page=source.page, field=source.field), len(
        {m.item for m in inside}
    )


def best_snippet(sources: Iterable[SnippetSource], query: TextQuery) -> Snippet | None:
    """The snippet of the first source whose best window holds the most query items.

    Sources are read lazily and in order; reading stops at a window that holds them all.
    """
    best: tuple[int, int] = (0, 0)
    chosen: Snippet | None = None
    for source in sources:
        matches = _matches(source.text, query)
        if not matches:
            continue
        snippet, shown = _snippet(source, matches)
        rank = (shown, len(snippet.highlights))
        if rank > best:
            best, chosen = rank, snippet
        if rank[0] == len(query.items):
            break
    return chosen

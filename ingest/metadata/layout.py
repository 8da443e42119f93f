"""Where each element of a Nghị định 30 page sits, from the word boxes (Phụ lục I).

The first page's header has two columns above the type line (or, for a letter, above ``Kính gửi``
and the first full-width line): the issuer, then the number, then a letter's ``V/v`` subject on the
left; the national motto, then the place and date on the right. ``_header_zone`` finds those
lines by position, whatever order OCR read them in; ``_centred_block`` is the subject under the
type line, however many lines it takes. Text without word boxes keeps the line-order rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sohoa.ingest.metadata.lines import (
    _COLLECTIVE,
    _Geo,
    _is_authority,
    _is_separator,
    _key,
    _Line,
    _starts_body,
    _upper_ratio,
)
from sohoa.ingest.metadata.numbers import _DATE
from sohoa.ingest.metadata.title import _title_type

__all__: list[str] = []


@dataclass(frozen=True)
class _Header:
    left: tuple[int, ...]  # line indexes, top to bottom: issuer, number, a letter's V/v subject
    right: tuple[int, ...]  # motto, place and date
    end_top: float  # where the header ends on the page, pixels


def _is_full_width(line: _Line) -> bool:
    return line.geo is not None and line.geo.width > 0.72


def _header_zone(lines: Sequence[_Line]) -> _Header | None:
    """The header columns of the first page, or None when the page came without positions."""
    if not lines:
        return None
    first = lines[0].page
    page = [i for i, line in enumerate(lines) if line.page == first and line.geo is not None]
    if len(page) < 3:
        return None
    by_top = sorted(page, key=lambda i: lines[i].geo.top)  # type: ignore[union-attr]
    end_top: float | None = None
    seen_column = False
    for i in by_top:
        line, geo = lines[i], lines[i].geo
        assert geo is not None
        centred = 0.3 < geo.centre < 0.7 and not (geo.x0 < 0.12 or geo.x1 > 0.88)
        # the number and the date glued on one row still belong to the header
        header_row = re.match(r"^s\s?[o0]\s*[:;]", line.key) is not None or _DATE.search(line.key) is not None
        if seen_column and (
            (centred and _title_type(line) is not None)
            or (_is_full_width(line) and not header_row)
            or line.key.startswith("kinh gui")
            or (_starts_body(line) and not line.key.startswith("noi nhan"))
        ):
            end_top = geo.top
            break
        seen_column = seen_column or not (centred or _is_full_width(line))
    if end_top is None:
        return None
    head = [i for i in by_top if lines[i].geo.bottom <= end_top + 0.3 * lines[i].geo.height]  # type: ignore[union-attr]
    left = tuple(i for i in head if lines[i].geo.centre < 0.5)  # type: ignore[union-attr]
    right = tuple(i for i in head if lines[i].geo.centre >= 0.5)  # type: ignore[union-attr]
    if not left or not right:
        return None
    return _Header(left, right, end_top)


def _header_first(lines: list[_Line]) -> tuple[list[_Line], int | None]:
    """``lines`` with the header's left column, then its right column, first; and where the header ends."""
    header = _header_zone(lines)
    if header is None:
        return lines, None
    order = [*header.left, *header.right]
    taken = set(order)
    return [lines[i] for i in order] + [line for i, line in enumerate(lines) if i not in taken], len(order)


def _centred_block(lines: Sequence[_Line], start: int, limit: int = 10) -> list[_Line] | None:
    """The centred lines from ``start`` down that belong together (no wider gap than a line's height).

    None when the lines have no positions: the caller falls back to its line-order rules.
    """
    if start >= len(lines) or lines[start].geo is None:
        return None
    anchor = lines[start - 1] if start > 0 else None
    out: list[_Line] = []
    pitches: list[float] = []  # between the block's own lines
    for line in _rows(lines[start : start + limit + 4])[:limit]:
        geo = line.geo
        if geo is None or (anchor is not None and line.page != anchor.page):
            break
        if _is_separator(line):
            if out:
                break
            continue
        prev = out[-1].geo if out else (anchor.geo if anchor is not None else None)
        if prev is not None:
            # line pitch: marks make boxes tall, so tops are steadier than gaps. The rule under a
            # subject (or a blank line) takes the pitch past the block's own, or past 1.9 heights
            pitch = geo.top - prev.top
            unit = max(8.0, prev.height, geo.height)
            usual = sorted(pitches)[len(pitches) // 2] if pitches else None
            if not 0.5 * unit < pitch <= 1.9 * unit or (usual is not None and pitch > 1.5 * usual):
                break
            if out:
                pitches.append(pitch)
        centred = abs(geo.centre - 0.5) < 0.12 and geo.x0 > 0.03 and geo.x1 < 0.97
        # the issuing authority of a decision (``CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH``) is centred below it too
        # an issuing authority's heading is printed in capitals; ``Chính phủ`` going on a
        # sentence-case subject (``của Thủ tướng / Chính phủ``) is no heading
        collective = line.key.startswith(_COLLECTIVE) and not {"ve", "cua", "voi", "cho", "theo"} & set(
            line.key.split()
        )  # ``CHÍNH PHỦ VỀ HỖ TRỢ ...`` goes on with the subject
        heading = _upper_ratio(line.text) > 0.8 and (_is_authority(line) or collective)
        body = _starts_body(line) and _upper_ratio(line.text) < 0.5  # ``Căn cứ ...``, ``Trong suốt ...``
        if not centred or (out and (heading or body) and not _open_end(out[-1])):
            break
        out.append(line)
    return out


_JOINING = ("va", "cua", "ve", "cho", "tai", "theo", "voi", "so", "doi voi", "trong", "den", "tu", "cac", "nhung")


def _open_end(line: _Line) -> bool:
    """The line cannot end a subject: it stops on a comma, a hyphen or a word that needs what follows."""
    key = " " + line.key.strip()
    return key.endswith((",", "-")) or key.endswith(tuple(f" {w}" for w in _JOINING))


def _rows(lines: Sequence[_Line]) -> list[_Line]:
    """Pieces of one printed line that OCR read apart (a word lost in the middle) joined again."""
    out: list[_Line] = []
    for line in lines:
        last = out[-1] if out else None
        if (
            last is not None
            and last.geo is not None
            and line.geo is not None
            and line.page == last.page
            and abs(line.geo.top - last.geo.top) < 0.5 * max(line.geo.height, last.geo.height)
        ):
            a, b = (last, line) if last.geo.x0 <= line.geo.x0 else (line, last)
            assert a.geo is not None and b.geo is not None
            text = f"{a.text} {b.text}"
            geo = _Geo(a.geo.x0, max(a.geo.x1, b.geo.x1), min(a.geo.top, b.geo.top),
                       max(a.geo.bottom, b.geo.bottom), max(a.geo.height, b.geo.height))  # fmt: skip
            # a piece of specks only (`` ` :`` off a rule) adds no word, so no doubt about the words
            worded = [x.conf for x in (a, b) if not _is_separator(x)] or [a.conf, b.conf]
            out[-1] = replace(a, text=text, key=_key(text), geo=geo, column="", conf=min(worded))
            continue
        out.append(line)
    return out

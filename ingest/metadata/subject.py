"""The subject (trích yếu): under the title, or the ``V/v`` line of a letter."""

from __future__ import annotations

import re
from dataclasses import replace
from statistics import mean

from sohoa.core.text import normalize_space
from sohoa.ingest.metadata.layout import _centred_block
from sohoa.ingest.metadata.lexicon import _is_acronym
from sohoa.ingest.metadata.lines import (
    _is_heading,
    _is_motto,
    _is_separator,
    _key,
    _Line,
    _line,
    _starts_body,
    _upper_ratio,
)
from sohoa.ingest.metadata.numbers import _DATE, _NUM_LABEL, _place_before
from sohoa.ingest.metadata.syllables import is_syllable
from sohoa.ingest.metadata.title import _title_type

# fmt: off
_JOINING_ENDS = (  # a subject line cannot end on these: the next line goes on with it
    "va", "cua", "ve", "cho", "tai", "tren", "theo", "voi", "so", "doi voi", "trong", "den", "tu",
    "cac", "nhung", "ngay", "viec", "ve viec", "giua", "nham", "de", "la", "thuoc",
)
_WEAK_ENDS = ("tinh", "huyen", "xa", "phuong", "thanh pho", "quan", "thi xa", "nam", "giai doan", "dia ban")
# fmt: on


# ``V/v``, also as OCR leaves it: ``V.v``, ``V|v``, or ``V/`` with the second v lost
_VV = re.compile(r"^(?:v\s?[/.|]\s?[vw]\b|v\s?/(?=\s))\s*[:.]?\s*")
# the issue stores the subject without a leading ``Về việc`` (titles often print one)
_ABOUT = re.compile(r"^ve\s+viec\b\s*[:.]?\s*")


def _continues_subject(prev: _Line, line: _Line, upper: bool) -> bool:
    prev_key = " " + re.sub(r"[^a-z0-9 ]", " ", prev.key).strip()
    joined = prev.text.rstrip().endswith((",", "-")) or prev_key.endswith(tuple(f" {w}" for w in _JOINING_ENDS))
    weak = prev_key.endswith(tuple(f" {w}" for w in _WEAK_ENDS))
    if upper:
        if _upper_ratio(line.text) <= 0.8 or _starts_body(line):
            return False
        return joined or (not _is_heading(line) and _title_type(line) is None)
    first = line.text[:1]
    if not first.isalpha() or first.islower() or first in "(" or joined or (weak and not _is_heading(line)):
        return True
    words = line.text.split()
    # a proper name (Đồng Nai, Quy chế...) may start the wrapped line; a sentence rarely does twice
    return len(words) > 1 and words[1][:1].isupper() and _upper_ratio(line.text) <= 0.8


def _clean_subject(parts: list[str]) -> str | None:
    # specks OCR reads off a rule or a seal (``_``, ``=``, a stray quote) are no words of the subject
    words = [w.strip("\"'“”`") for w in " ".join(parts).split() if re.search(r"[\w]", w.strip("_"))]
    text = normalize_space(" ".join(w for w in words if w)).strip(" ;-_")
    for prefix in (_VV, _ABOUT):
        m = prefix.match(_key(text))
        if m:
            text = text[m.end() :].strip()
    return text or None


def _subject_after_title(lines: list[_Line], start: int, rest: str = "") -> tuple[str | None, float]:
    parts: list[_Line] = []
    upper = bool(rest) and _upper_ratio(rest) > 0.8
    block = _centred_block(lines, start)
    if block:
        # positions known: the subject is the whole centred block under the type line
        if rest:
            parts.append(_line(rest, lines[start - 1].page, lines[start - 1].conf))
        parts += block
        return _clean_subject([p.text for p in parts]), 0.85 * _read_conf(parts) * _doubt(parts)
    if rest:
        parts.append(_line(rest, lines[start - 1].page, lines[start - 1].conf))
    for line in lines[start : start + 10]:
        if _is_separator(line) or _is_motto(line) or _starts_body(line) or line.text.rstrip().endswith(":"):
            if parts:
                break
            continue
        if parts and (len(parts) >= 7 or not _continues_subject(parts[-1], line, upper)):
            break
        if not parts:
            if _is_heading(line):
                break
            upper = _upper_ratio(line.text) > 0.8
        parts.append(line)
        if line.text.rstrip().endswith("."):
            break
    if not parts:
        return None, 0.0
    return _clean_subject([p.text for p in parts]), 0.8 * _read_conf(parts)


def _read_conf(parts: list[_Line]) -> float:
    """OCR's confidence in the lines that give the subject words: a line of specks read off the rule
    under the title (`` ` :``) gives none, and ``_clean_subject`` drops it."""
    worded = [p.conf for p in parts if _clean_subject([p.text])]
    return mean(worded) if worded else mean(p.conf for p in parts)


def _cut_date(line: _Line) -> _Line:
    """``V/v ... Hà Nội, ngày ...``: a text layer glues the date of the right column to the subject."""
    m = _DATE.search(line.key)
    if not m:
        return line
    head = line.text[: m.start()].rstrip(" ,")
    place = _place_before(head)
    if place and place.split()[0] in head:
        head = head[: head.rfind(place.split()[0])].rstrip(" ,")
    return replace(line, text=head, key=_key(head))


def _subject_vv(lines: list[_Line], end: int, skip: set[int]) -> tuple[str | None, float, int | None]:
    for i, line in enumerate(lines[:end]):
        if not _VV.match(line.key) or line.column == "right":
            continue
        parts = [_cut_date(line)]
        if line.geo is not None:
            # positions known: the lines under it in the left column, as long as no gap parts them
            for nxt in lines[i + 1 : min(end, i + 9)]:
                last, geo = parts[-1].geo, nxt.geo
                if geo is None or last is None or geo.centre >= 0.5 or nxt.page != line.page:
                    continue
                unit = max(8.0, min(geo.height, last.height))
                if not -0.5 * unit <= geo.top - last.bottom < 1.1 * unit:
                    break
                parts.append(nxt)
            return _clean_subject([p.text for p in parts]), 0.85 * _read_conf(parts) * _doubt(parts), i
        for nxt in lines[i + 1 : min(end, i + 9)]:
            if nxt.column == "right" or _is_motto(nxt) or _DATE.search(nxt.key) or _NUM_LABEL.match(nxt.key):
                continue  # the other column, read in between
            if _starts_body(nxt) or _upper_ratio(nxt.text) > 0.7 or not _continues_subject(parts[-1], nxt, False):
                break
            parts.append(nxt)
        return _clean_subject([p.text for p in parts]), 0.85 * _read_conf(parts), i
    return None, 0.0, None


def _doubt(parts: list[_Line]) -> float:
    """Less confidence where OCR shows it lost or gained letters no correction can vouch for: an unsure
    word that is no syllable (``PHƯ“ỘNG``), an unsure word in lower case inside a title in capitals
    (``CÔNG Me CÁCH MẠNG``), a lone consonant (``TỈNH N QUANG``, a word half lost)."""
    from sohoa.ingest.metadata.correct import vouched_words

    upper = _upper_ratio(" ".join(p.text for p in parts)) > 0.8
    # an unsure word that a phrase of the vocabulary spells as printed with its neighbours
    # (``SỬA ĐỔI, Bổ SUNG``) was read right, whatever its case
    vouched = vouched_words(" ".join(p.text for p in parts))
    for line in parts:
        for word in line.weak:
            core = word.strip(".,;:()\"'“”-_")
            if not core or core.isdigit() or core.lower() in vouched:
                continue
            if (not is_syllable(core) and not _is_acronym(core)) or (upper and not core.isupper()):
                return 0.6
        for word in line.text.split():
            core = word.strip(".,;:()\"'“”-_")
            if len(core) == 1 and core.isalpha() and not is_syllable(core):
                return 0.6
    return 1.0

"""Page text as lines (with column and confidence), and what kind of line each is."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from statistics import mean

from sohoa.core.domain import PageText
from sohoa.core.text import fold, nfc, normalize_space
from sohoa.ingest.metadata.syllables import is_syllable


@dataclass(frozen=True)
class _Geo:
    """Where a line sits: across the page's text width (0 left edge, 1 right edge) and down it in pixels."""

    x0: float
    x1: float
    top: float
    bottom: float
    height: float  # median word height, pixels: the unit of vertical gaps

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def width(self) -> float:
        return self.x1 - self.x0


@dataclass(frozen=True)
class _Line:
    text: str  # NFC, single-spaced
    key: str  # fold(text), same length as text
    page: int
    conf: float  # 0..1: OCR confidence of the line, 1.0 for text layers
    column: str = ""  # "left" / "right" when word positions told us, else ""
    geo: _Geo | None = None  # None: the page came as text only
    weak: tuple[str, ...] = ()  # words OCR read with low confidence (evidence for corrections)
    read: tuple[tuple[str, float], ...] = ()  # each word as cleaned, with OCR's confidence 0..100


def _line(text: str, page: int, conf: float, column: str = "", geo: _Geo | None = None) -> _Line:
    return _Line(text, _key(text), page, conf, column, geo)


def _key(text: str) -> str:
    # one folded character per character, so positions found in the key index the text
    return "".join((fold(ch) or " ")[0] for ch in text)


_MARKS = re.compile(r"[\u0300-\u036f]")


def _clean(text: str) -> str:
    text = nfc(text).replace("\u00d0", "Đ").replace("\u00a0", " ")
    text = _MARKS.sub("", text)  # stray combining marks left by OCR after NFC
    text = re.sub(r"[\u2012-\u2015\u2212]", "-", text)
    text = re.sub(r"[\u2044\u2215\uff0f]", "/", text)  # slashes OCR reads as a fraction or division sign
    return normalize_space(text)


_WEAK_WORD = 75.0  # tesseract word confidence below which a word's marks are in doubt


def _lines_from_words(page: PageText) -> list[_Line]:
    words = [w for w in page.words if w.text.strip()]
    if not words:
        return []
    span = (min(w.left for w in words), max(w.left + w.width for w in words))
    rows: list[list] = []
    for w in words:
        prev = rows[-1][-1] if rows else None
        new_row = (
            prev is None
            or (w.block, w.line) != (prev.block, prev.line)
            or w.left < prev.left
            or abs((w.top + w.height / 2) - (prev.top + prev.height / 2)) > max(w.height, prev.height)
        )
        if new_row:
            rows.append([w])
        else:
            rows[-1].append(w)
    full = max(1, span[1] - span[0])
    out: list[_Line] = []
    for row in rows:
        # a big horizontal gap across the middle of the page is two columns read as one line;
        # one inside a column is a blank left for a hand-written number (``Số:      /KH-SCT``)
        height = sorted(w.height for w in row)[len(row) // 2]
        cut = _column_cut(row, span)
        segment = [row[0]]
        for w in row[1:]:
            end = segment[-1].left + segment[-1].width
            gap = w.left - end
            # pieces on both sides of the columns' boundary; a blank inside one column (a date's
            # missing day, a number left for the hand) keeps its line whole
            across = (end - span[0]) / full < 0.6 and (w.left - span[0]) / full > 0.38
            apart = (gap > 1.8 * height and across) or gap > 0.3 * full or w is cut
            # ``ngày      tháng 12``: the day left blank for the hand keeps the line whole, wherever it sits
            # (the words are folded only for a gap that would split the line)
            if apart and not (gap <= 0.3 * full and _date_blank(segment[-1].text, w.text)):
                out.append(_segment_line(segment, page.index, span))
                segment = []
            segment.append(w)
        out.append(_segment_line(segment, page.index, span))
    split = [part for line in out if line.text for part in _split_motto(line)]
    return split


def _date_blank(before: str, after: str) -> bool:
    """A gap between ``ngày`` and ``tháng`` or ``tháng`` and ``năm`` is a day or month left blank."""
    first, then = fold(before).strip(" ,."), fold(after).strip(" ,.")
    return (first, then) in {("ngay", "thang"), ("thang", "nam")}


def _column_cut(row: list, span: tuple[int, int]) -> object | None:
    """The word that starts the right column of a header row OCR read across both columns.

    The issuer and the motto can nearly touch; the gap between them is still the row's widest by
    far, where a justified body line spaces its words evenly."""
    full = max(1, span[1] - span[0])
    if len(row) < 4 or (row[0].left - span[0]) / full > 0.2 or (row[-1].left + row[-1].width - span[0]) / full < 0.8:
        return None
    gaps = [(b.left - (a.left + a.width), b) for a, b in pairwise(row)]
    at = max(range(len(gaps)), key=lambda k: gaps[k][0])
    widest, word = gaps[at]
    others = sorted(g for k, (g, _) in enumerate(gaps) if k != at)
    typical = others[len(others) // 2]
    middle = (word.left - widest / 2 - span[0]) / full
    height = sorted(w.height for w in row)[len(row) // 2]
    return word if 0.25 < middle < 0.65 and widest > 0.5 * height and widest > 1.8 * max(1, typical) else None


def _segment_line(words: list, page: int, span: tuple[int, int]) -> _Line:
    # specks (``-``, ``_``, a quote read off a rule or a seal) carry no text: the line's confidence
    # is OCR's in its words
    worded = [w for w in words if any(ch.isalnum() for ch in w.text)] or words
    confs = [w.confidence for w in worded if w.confidence >= 0]
    conf = mean(confs) / 100 if confs else 0.5
    full = max(1, span[1] - span[0])
    left = min(w.left for w in words)
    right = max(w.left + w.width for w in words)
    geo = _Geo(
        x0=(left - span[0]) / full,
        x1=(right - span[0]) / full,
        top=min(w.top for w in words),
        bottom=max(w.top + w.height for w in words),
        height=float(sorted(w.height for w in words)[len(words) // 2]),
    )
    column = "left" if geo.x1 < 0.55 else "right" if geo.x0 > 0.42 else ""
    weak = tuple(_clean(w.text) for w in words if 0 <= w.confidence < _WEAK_WORD)
    line = _line(_clean(" ".join(w.text for w in words)), page, max(0.0, min(1.0, conf)), column, geo)
    read = tuple((_clean(w.text), w.confidence) for w in words if _clean(w.text))
    return replace(line, weak=weak, read=read)


def _collect_lines(pages: Sequence[PageText]) -> list[_Line]:
    lines: list[_Line] = []
    for page in sorted(pages, key=lambda p: p.index):
        if page.words:
            lines.extend(_lines_from_words(page))
            continue
        ocr_conf = (page.confidence / 100) if page.confidence is not None else 0.85
        conf = ocr_conf if page.source == "ocr" else 1.0
        for raw in page.text.split("\n"):
            text = _clean(raw)
            if text:
                lines.extend(_split_motto(_line(text, page.index, conf)))
    return lines


# Quốc hiệu and Tiêu ngữ: printed right of the issuer; text layers glue them onto its lines.
# a wrapped or cut motto still counts, so its pieces never join the issuer's name
_MOTTO = re.compile(
    r"c\s?o\s?n\s?g\s+h\s?o\s?a\s+x\s?a\s+h\s?o\s?i(?:\s+c\s?h\s?u\s+n\s?g\s?h\s?i\s?a)?(?:\s+v\s?i\s?e\s?t\s+n\s?a\s?m)?"
    r"|d\s?o\s?c\s+l\s?a\s?p(?:\s*-\s*t\s?u\s+d\s?o)?(?:\s*-\s*h\s?a\s?n\s?h\s+p\s?h\s?u\s?c)?"
    r"|c\s?h\s?u\s+n\s?g\s?h\s?i\s?a\s+v\s?i\s?e\s?t\s+n\s?a\s?m|^[\s-]*h\s?a\s?n\s?h\s+p\s?h\s?u\s?c\s*$"
)


# the motto's first word garbled where OCR read it into the issuer's last word across the columns'
# narrow gap (``Thương BIWWỀNG hòa xã hội``): the motto starts at that token all the same
_MOTTO_GARBLED = re.compile(r"(?:^|(?<=\s))\S+\s+h\s?o\s?a\s+x\s?a\s+h\s?o\s?i\b")


_MOTTO_HEADLESS = re.compile(r"h\s?o\s?a\s+x\s?a\s+h\s?o\s?i\b")  # ``CỘNG`` lost altogether


def _split_motto(line: _Line) -> list[_Line]:
    m = _MOTTO.search(line.key)
    garbled = _MOTTO_GARBLED.search(line.key)
    lost: tuple[str, ...] = ()
    if garbled and (not m or garbled.start() < m.start()):
        token = line.text[garbled.start() :].split()[0]
        if is_syllable(token.strip(",.;:")):
            # ``Chính PHỦ HÒA XÃ HỘI``: ``CỘNG`` lost altogether, the word before it is the issuer's
            start = garbled.start() + len(token) + 1
            m = re.compile(r"\S.*").search(line.key, start)
        else:
            m = garbled
            # an issuer's word may have gone into the garbled token: the token counts as a word OCR
            # was unsure of on the issuer's line, evidence the issuer reads with (``issuer._find_issuer``)
            lost = (_clean(token),)
    if not m:
        return [line]
    line = replace(line, weak=line.weak + lost) if lost and m.start() > 0 else line
    cuts = [(0, m.start()), (m.start(), m.end()), (m.end(), len(line.text))]
    parts = [(line.text[a:b], _slice_geo(line, a, b)) for a, b in cuts]
    if parts[0][0].strip() and not line.column:
        line = replace(line, column="left")  # what precedes the motto on its line is the left column
        return [replace(line, text=parts[0][0].strip(), key=_key(parts[0][0].strip()), geo=parts[0][1])] + [
            replace(line, text=t.strip(), key=_key(t.strip()), column="", geo=g) for t, g in parts[1:] if t.strip(" -_")
        ]
    return [replace(line, text=t.strip(), key=_key(t.strip()), geo=g) for t, g in parts if t.strip(" -_")]


def _slice_geo(line: _Line, start: int, end: int) -> _Geo | None:
    """Where characters ``start:end`` of a line sit: the issuer and the motto OCR read as one line
    (their columns nearly touch) each get their share of its width."""
    geo = line.geo
    if geo is None or not line.text:
        return geo
    share = geo.width / len(line.text)
    return replace(geo, x0=geo.x0 + start * share, x1=geo.x0 + end * share)


def _is_motto(line: _Line) -> bool:
    m = _MOTTO.search(line.key) or _MOTTO_GARBLED.match(line.key) or _MOTTO_HEADLESS.match(line.key)
    return m is not None and (m.end() - m.start()) >= 0.6 * len(line.key.strip())


def _is_separator(line: _Line) -> bool:
    return not re.search(r"[0-9a-z]", line.key)


def _upper_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0


def _distance(a: str, b: str) -> int:
    if abs(len(a) - len(b)) > 3:
        return 99
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _fuzzy(word: str) -> str:
    """Regex for ``word`` (folded) with one letter wrong or missing, or letters split by a space."""
    variants = {r"\s?".join(word)}
    for i in range(len(word)):
        variants.add(re.escape(word[:i]) + "[a-z0-9]" + re.escape(word[i + 1 :]))
        if len(word) > 3:
            variants.add(re.escape(word[:i] + word[i + 1 :]))
    return "(?:" + "|".join(sorted(variants, key=len, reverse=True)) + ")"


def _words(key: str) -> list[str]:
    return re.sub(r"[^a-z0-9 -]", " ", key).split()


# fmt: off
_BODY_STARTS = (
    "can cu", "kinh gui", "thuc hien", "theo de nghi", "xet ", "trong ", "nham ", "de ", "hom nay",
    "noi nhan", "tai ", "sau khi",
)
_ROLES = (
    "chu tich", "giam doc", "tong giam doc", "bo truong", "thu truong", "thu tuong", "truong ban",
    "truong phong", "truong doan", "truong khoa", "chanh ", "tong cuc truong", "cuc truong",
    "chi cuc truong", "vu truong", "vien truong", "hieu truong", "bi thu", "uy vien", "tong thu ky",
    "thu ky", "chu nhiem", "nguoi ", "kiem sat vien", "chanh an",
)
_COLLECTIVE = (
    "uy ban", "hoi dong", "chinh phu", "quoc hoi", "ubnd", "hdnd", "ban thuong vu", "ban chi dao",
    "ban chap hanh", "thuong truc",
)
# fmt: on


_SIGN_PREFIX = re.compile(r"^(?:(?:tm|kt|tl|tuq|q)\s?\.\s*|quyen\s+|pho\s+)+")


def _starts_body(line: _Line) -> bool:
    key = line.key
    if re.match(r"^(?:(?:dieu|chuong|phan|muc)\s+[0-9ivxl]+\b|(?:[ivx]+|\d+|[a-d])\s?[.)/]\s)", key):
        return True
    return line.text[:1].isupper() and key.startswith(_BODY_STARTS)


def _is_authority(line: _Line) -> bool:
    """A line of the signature block (or an authority heading): ``KT. GIÁM ĐỐC``, ``PHÓ CHỦ TỊCH``."""
    text = line.text.strip()
    if _upper_ratio(text) < 0.75 or len(text.split()) > 12 or text.endswith(":"):
        return False
    key = re.sub(r"^(?:[a-z]\s)+", "", line.key.strip())  # OCR specks before the first word
    prefix = _SIGN_PREFIX.match(key)
    rest = key[prefix.end() :] if prefix else key
    return bool(prefix and re.match(r"^(?:tm|kt|tl|tuq|q)", key)) or rest.startswith(_ROLES)


def _is_heading(line: _Line) -> bool:
    words = _words(line.key)
    collective = line.key.startswith(_COLLECTIVE) and not {"ve", "cua", "voi", "cho", "theo"} & set(words)
    return _is_authority(line) or collective or _starts_body(line)

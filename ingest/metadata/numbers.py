"""The number and symbol (``Số: 15/QĐ-UBND``) and the place and date line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sohoa.core.text import fold, normalize_space
from sohoa.ingest.doctypes import DOC_TYPES, find_type_by_code
from sohoa.ingest.metadata.lexicon import _correct_words
from sohoa.ingest.metadata.lines import _fuzzy, _Line

_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1"})


_NUM_LABEL = re.compile(r"^(?:(?:bo\s+)?luat|phap\s+lenh|lenh)?\s*s\s?[o0ô6]\s*[:;.]?\s*", re.I)
# ``Số:`` as OCR can leave it: a speck in front (``D SỐ:``), ``5ố``, a wrong vowel (``Sế:``); only
# trusted with the colon and a number/symbol of the right shape after it
_LOOSE_LABEL = re.compile(r"^(?:\S{1,2}\s+)?[s5$]\s?[a-z0-9]?\s*[:;]\s*")
_LOOSE_SYMBOL = re.compile(r"^(?:\d{1,7}|[\s._…·]*)\s*/\s*(?:(?:19|20)\d\d\s*/\s*)?[A-ZĐ][A-Za-zĐđ]*[A-ZĐ]")


_NUMBER_SYMBOL = re.compile(
    r"(?P<num>[0-9OolI|]{1,7})?[\s._…·,-]*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    r"(?P<sym>[A-Za-zĐđ0-9][A-Za-zĐđ0-9.&]*(?:\s?-+\s?[A-Za-zĐđ0-9][A-Za-zĐđ0-9.&]*)*)"
)


@dataclass(frozen=True)
class _Number:
    number: str | None
    year: int | None
    symbol: str
    conf: float
    line: int

    @property
    def text(self) -> str:
        return format_number_symbol(self.number, self.year, self.symbol)


def format_number_symbol(number: str | None, year: int | None, symbol: str) -> str:
    """``42/2025/QĐ-UBND`` from its parts, as printed after ``Số:`` (a number left blank: ``/QĐ-UBND``)."""
    head = f"{number or ''}/" + (f"{year}/" if year else "")
    return head + symbol


def parse_number_symbol(text: str) -> tuple[str | None, int | None, str] | None:
    """(number, year, symbol) of a number and symbol as typed or printed after ``Số:``
    (``42/2025/QĐ-UBND``; ``/QĐ-UBND`` when the number is left blank), read as extraction reads
    the printed line; None unless the whole text reads as one."""
    text = text.strip()
    if not _NUMBER_SYMBOL.fullmatch(text):
        return None
    return _parse_number(text, labelled=True)


def _parse_number(text: str, labelled: bool) -> tuple[str | None, int | None, str] | None:
    m = _NUMBER_SYMBOL.match(text) if labelled else _NUMBER_SYMBOL.search(text)
    if not m:
        return None
    symbol = re.sub(r"-{2,}", "-", re.sub(r"\s", "", m["sym"])).strip(".")  # ``TTr--SNNMT``: one hyphen doubled
    if not re.search(r"[A-Za-zĐđ]", symbol) or (not labelled and "-" not in symbol):
        return None
    number = m["num"].translate(_DIGITISH) if m["num"] else None
    if number is not None and not number.isdigit():
        return None
    head, _, rest = symbol.partition("-")
    doc_type = find_type_by_code(head) if rest else None
    if doc_type is not None and doc_type.code and head not in doc_type.codes:
        symbol = f"{doc_type.code}-{rest}"  # QD -> QĐ: OCR lost the stroke
    return number, int(m["year"]) if m["year"] else None, symbol


def _find_number(lines: list[_Line], stop: int, unlabelled_stop: int) -> _Number | None:
    """The labelled number in ``lines[:stop]``, else an unlabelled one of the right shape before ``unlabelled_stop``."""
    unlabelled: _Number | None = None
    for i, line in enumerate(lines[:stop]):
        label = _NUM_LABEL.match(line.key)
        if label and label.end() > 0 and re.search(r"s\s?[o0ô6]", line.key[: label.end()]):
            parsed = _parse_number(line.text[label.end() :], labelled=True)
            if parsed:
                return _Number(*parsed, conf=0.95 * line.conf, line=i)
        loose = _LOOSE_LABEL.match(line.key)
        if loose and _LOOSE_SYMBOL.match(line.text[loose.end() :]):
            parsed = _parse_number(line.text[loose.end() :], labelled=True)
            if parsed:
                return _Number(*parsed, conf=0.8 * line.conf, line=i)
        if unlabelled is None and i < unlabelled_stop and not line.key.startswith(("can cu", "theo", "thuc hien")):
            parsed = _parse_number(line.text, labelled=False)
            if parsed and parsed[0]:
                unlabelled = _Number(*parsed, conf=0.7 * line.conf, line=i)
    return unlabelled


def _initials(name: str) -> list[str]:
    """Abbreviations an agency prints in its symbols: ``Bộ Lao động - Thương binh và Xã hội`` ->
    ``BLĐTBXH``, ``LĐTBXH``; ``Ủy ban nhân dân tỉnh Long An`` -> ``UBND``, ``BND`` (the place is left out)."""
    words: list[str] = []
    for word in re.split(r"[\s,\-–]+", name):
        if not word or fold(word) == "va":
            continue
        if fold(word) in _PLACE_UNITS and word.islower() and words:  # ``tỉnh Long An``, not ``Xã hội``
            break
        words.append(word)
    letters = [w if w.isupper() and len(w) > 1 else w[0].upper() for w in words]
    return [fold("".join(letters[k:])) for k in (0, 1) if len(letters) - k >= 2]


_PLACE_UNITS = {"tinh", "thanh", "huyen", "quan", "xa", "phuong", "thi"}


def _restore_hyphen(number: _Number, agencies: Sequence[str | None]) -> _Number:
    """``LĐTBXHNCC`` -> ``LĐTBXH-NCC``, ``QĐUBND`` -> ``QĐ-UBND``: OCR lost the hyphen of the symbol.

    A symbol is a type code or the issuer's abbreviation, a hyphen, then the agency or unit part
    (Nghị định 30, Phụ lục I). The hyphen goes back only where a split leaves the issuer's (or its
    parent's) abbreviation on one side and at least two letters on the other.
    """
    symbol = number.symbol
    if "-" in symbol or not symbol.isalpha():
        return number
    folded = fold(symbol)
    abbreviations = {a for name in agencies if name for a in _initials(name)}
    codes = {fold(code) for doc_type in DOC_TYPES for code in doc_type.codes}
    for cut in range(len(symbol) - 2, 1, -1):
        head, tail = folded[:cut], folded[cut:]
        if head in abbreviations or (head in codes and any(tail.startswith(a) for a in abbreviations)):
            return replace(number, symbol=f"{symbol[:cut]}-{symbol[cut:]}", conf=0.85 * number.conf)
    return number


_DATE = re.compile(
    rf"{_fuzzy('ngay')}\s*(?P<d>[0-9olI]{{1,2}}\b|[\s._…·,'‘’-]*)\s*{_fuzzy('thang')}\s*(?P<m>[0-9olI]{{1,2}}\b|[\s._…·,'‘’-]*)"
    rf"\s*{_fuzzy('nam')}\s*(?P<y>[0-9olI]{{4}})"
)


_SHORT_DATE = re.compile(r"(?<![\d/])(?P<d>\d{1,2})\s?/\s?(?P<m>\d{1,2})\s?/\s?(?P<y>(?:19|20)\d\d)(?!\d)")


_PLACE_WORD = re.compile(r"^(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\.?|TP\.|Tp\.|thành|phố|TP)$")


@dataclass(frozen=True)
class _Date:
    iso: str | None
    text: str
    place: str | None
    conf: float
    line: int


def _digits(text: str) -> str:
    return text.translate(_DIGITISH)


def _iso(day: str, month: str, year: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _place_before(prefix: str) -> str | None:
    prefix = prefix.strip(" ,.-")
    # on a text layer the number sits left of the place: keep only what follows the symbol
    prefix = re.split(r"\S+/\S+", prefix)[-1]
    words: list[str] = []
    for word in reversed(prefix.split()):
        if not _PLACE_WORD.match(word) or len(words) >= 5:
            break
        words.insert(0, word)
    if not words:
        return None
    return _correct_words(" ".join(words))


def _find_date(lines: list[_Line], order: Sequence[int]) -> _Date | None:
    for i in order:
        line = lines[i]
        m = _DATE.search(line.key)
        if m:
            exact = line.key[m.start() :].startswith("ngay") and "thang" in line.key and "nam" in line.key
            day, month, year = _digits(m["d"]).strip(), _digits(m["m"]).strip(), _digits(m["y"])
            place = _place_before(line.text[: m.start()])
            # a blank day or month stays blank: the date is signed in by hand, never guessed
            # a blank is printed as spaces or dots; OCR may read a speck there, which is no digit
            printed_day = day if day.isdigit() else line.text[m.start("d") : m.end("d")].strip(" ,'‘’-")
            printed_month = month if month.isdigit() else line.text[m.start("m") : m.end("m")].strip(" ,'‘’-")
            date_text = normalize_space(f"ngày {printed_day} tháng {printed_month} năm {year}")
            text = f"{place}, {date_text}" if place else date_text[0].upper() + date_text[1:]
            iso = _iso(day, month, year) if day.isdigit() and month.isdigit() else None
            if day.isdigit() and month.isdigit() and iso is None:
                continue  # not a real date: OCR garbage
            if month.isdigit() and not (1 <= int(month) <= 12):
                continue
            conf = (0.95 if exact else 0.75) * line.conf * (1.0 if place else 0.9)
            return _Date(iso, text, place, conf, i)
    for i in order:
        line = lines[i]
        m = _SHORT_DATE.search(line.text)
        if m and (iso := _iso(m["d"], m["m"], m["y"])):
            place = _place_before(line.text[: m.start()])
            text = f"{place}, {m[0]}" if place else m[0].replace(" ", "")
            return _Date(iso, text, place, 0.6 * line.conf, i)
    return None

"""Filing metadata of a Vietnamese administrative document (layout of Nghị định 30/2020/NĐ-CP).

``extract_metadata`` reads page texts (OCR or text layer) and returns ``core.domain.Metadata``
with a confidence per field. Everything is matched on folded text (no diacritics, lower case)
with some slack for OCR damage, then validated (dates exist, codes fit their patterns) and
given back in proper Vietnamese: canonical type names, lexicon spellings for agency words,
normal capitalisation for agency names.

The work is order-agnostic where OCR is: the two header columns and the ``Nơi nhận`` /
signature columns may come in either order or interleaved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import mean

from core.codes import DOSSIER_CODE_RE, PROCEDURE_CODE_RE
from core.domain import Metadata, PageText
from core.text import fold, nfc, normalize_space
from ingest.doctypes import CONG_VAN, RECEIPT, DocType, find_type_by_code, find_type_by_name

__all__ = ["extract_metadata"]


@dataclass(frozen=True)
class _Line:
    text: str  # NFC, single-spaced
    key: str  # fold(text), same length as text
    page: int
    conf: float  # 0..1: OCR confidence of the line, 1.0 for text layers
    column: str = ""  # "left" / "right" when word positions told us, else ""


def _line(text: str, page: int, conf: float, column: str = "") -> _Line:
    return _Line(text, _key(text), page, conf, column)


def _key(text: str) -> str:
    # one folded character per character, so positions found in the key index the text
    return "".join((fold(ch) or " ")[0] for ch in text)


_MARKS = re.compile(r"[\u0300-\u036f]")


def _clean(text: str) -> str:
    text = nfc(text).replace("\u00d0", "Đ").replace("\u00a0", " ")
    text = _MARKS.sub("", text)  # stray combining marks left by OCR after NFC
    text = re.sub(r"[\u2012-\u2015\u2212]", "-", text)
    return normalize_space(text)


# ---------------------------------------------------------------------------- lines


def _lines_from_words(page: PageText) -> list[_Line]:
    words = [w for w in page.words if w.text.strip()]
    if not words:
        return []
    width = max(w.left + w.width for w in words)
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
    out: list[_Line] = []
    for row in rows:
        # a big horizontal gap means two columns were read as one line
        height = sorted(w.height for w in row)[len(row) // 2]
        segment = [row[0]]
        for w in row[1:]:
            gap = w.left - (segment[-1].left + segment[-1].width)
            if gap > 2.5 * height:
                out.append(_segment_line(segment, page.index, width))
                segment = []
            segment.append(w)
        out.append(_segment_line(segment, page.index, width))
    split = [part for line in out if line.text for part in _split_motto(line)]
    return split


def _segment_line(words: list, page: int, width: int) -> _Line:
    confs = [w.confidence for w in words if w.confidence >= 0]
    conf = mean(confs) / 100 if confs else 0.5
    left = min(w.left for w in words)
    right = max(w.left + w.width for w in words)
    column = "left" if right < width * 0.55 else "right" if left > width * 0.42 else ""
    return _line(_clean(" ".join(w.text for w in words)), page, max(0.0, min(1.0, conf)), column)


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


def _split_motto(line: _Line) -> list[_Line]:
    m = _MOTTO.search(line.key)
    if not m:
        return [line]
    parts = [line.text[: m.start()], line.text[m.start() : m.end()], line.text[m.end() :]]
    if parts[0].strip() and not line.column:
        line = replace(line, column="left")  # what precedes the motto on its line is the left column
        return [replace(line, text=parts[0].strip(), key=_key(parts[0].strip()))] + [
            replace(line, text=t.strip(), key=_key(t.strip()), column="") for t in parts[1:] if t.strip(" -_")
        ]
    return [replace(line, text=t.strip(), key=_key(t.strip())) for t in parts if t.strip(" -_")]


def _is_motto(line: _Line) -> bool:
    m = _MOTTO.search(line.key)
    return m is not None and (m.end() - m.start()) >= 0.6 * len(line.key.strip())


def _is_separator(line: _Line) -> bool:
    return not re.search(r"[0-9a-z]", line.key)


def _upper_ratio(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch.isupper() for ch in letters) / len(letters) if letters else 0.0


# ---------------------------------------------------------------------------- fuzzy words


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


# ---------------------------------------------------------------------------- number, symbol

_DIGITISH = str.maketrans({"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "i": "1"})
_NUM_LABEL = re.compile(r"^(?:(?:bo\s+)?luat|phap\s+lenh|lenh)?\s*s\s?[o0ô6]\s*[:;.]?\s*", re.I)
_NUMBER_SYMBOL = re.compile(
    r"(?P<num>[0-9OolI|]{1,7})?[\s._…·,-]*/\s*(?:(?P<year>(?:19|20)\d\d)\s*/\s*)?"
    r"(?P<sym>[A-Za-zĐđ0-9][A-Za-zĐđ0-9.&]*(?:\s?-\s?[A-Za-zĐđ0-9][A-Za-zĐđ0-9.&]*)*)"
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
        head = f"{self.number or ''}/" + (f"{self.year}/" if self.year else "")
        return head + self.symbol


def _parse_number(text: str, labelled: bool) -> tuple[str | None, int | None, str] | None:
    m = _NUMBER_SYMBOL.match(text) if labelled else _NUMBER_SYMBOL.search(text)
    if not m:
        return None
    symbol = re.sub(r"\s", "", m["sym"]).strip(".")
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


def _find_number(lines: list[_Line], stop: int) -> _Number | None:
    unlabelled: _Number | None = None
    for i, line in enumerate(lines[:stop]):
        label = _NUM_LABEL.match(line.key)
        if label and label.end() > 0 and re.search(r"s\s?[o0ô6]", line.key[: label.end()]):
            parsed = _parse_number(line.text[label.end() :], labelled=True)
            if parsed:
                return _Number(*parsed, conf=0.95 * line.conf, line=i)
        if unlabelled is None and not line.key.startswith(("can cu", "theo", "thuc hien")):
            parsed = _parse_number(line.text, labelled=False)
            if parsed and parsed[0]:
                unlabelled = _Number(*parsed, conf=0.7 * line.conf, line=i)
    return unlabelled


# ---------------------------------------------------------------------------- dates

_DATE = re.compile(
    rf"{_fuzzy('ngay')}\s*(?P<d>[0-9olI]{{1,2}}\b|[\s._…·]*)\s*{_fuzzy('thang')}\s*(?P<m>[0-9olI]{{1,2}})"
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
            day, month, year = _digits(m["d"]).strip(), _digits(m["m"]), _digits(m["y"])
            place = _place_before(line.text[: m.start()])
            blank = line.text[m.start("d") : m.end("d")].strip()
            printed_day = day if day.isdigit() else blank
            date_text = normalize_space(f"ngày {printed_day} tháng {month} năm {year}")
            text = f"{place}, {date_text}" if place else date_text[0].upper() + date_text[1:]
            iso = _iso(day, month, year) if day.isdigit() else None
            if day.isdigit() and iso is None:
                continue  # not a real date: OCR garbage
            if not day.isdigit() and not (1 <= int(month) <= 12):
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


# ---------------------------------------------------------------------------- type and title


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
    from ingest.doctypes import DOC_TYPES

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


# ---------------------------------------------------------------------------- agency names

# Proper nouns keep this exact casing; common words are listed for their diacritics only
# (OCR of upper-case headers often loses or swaps marks).
# fmt: off
_PROPER = (
    "Chính phủ", "Quốc hội", "Nhà nước", "Việt Nam", "Công Thương", "Tổ quốc", "Cộng sản", "An Giang",
    "Bà Rịa", "Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre", "Bình Dương",
    "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ", "Đà Nẵng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
    "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum",
    "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế",
    "Tiền Giang", "Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Biên Hòa",
    "Hạ Long", "Nha Trang", "Đà Lạt", "Quy Nhơn", "Buôn Ma Thuột", "Phan Thiết", "Long Xuyên", "Mỹ Tho",
    "Rạch Giá", "Thủ Dầu Một", "Việt Trì", "Long Khánh", "Pleiku", "Thủ Đức",
)
_COMMON = (
    "ủy ban nhân dân", "hội đồng nhân dân", "văn hóa", "thể thao", "du lịch", "nông nghiệp",
    "phát triển nông thôn", "môi trường", "tài nguyên", "tài chính", "xây dựng", "lao động", "thương binh",
    "xã hội", "giáo dục", "đào tạo", "y tế", "tư pháp", "nội vụ", "giao thông", "vận tải", "kế hoạch",
    "đầu tư", "khoa học", "công nghệ", "thông tin", "truyền thông", "ngoại vụ", "dân tộc", "tôn giáo",
    "thanh tra", "trung tâm", "phục vụ", "hành chính công", "văn phòng", "tổng cục", "chi cục", "hải quan",
    "kho bạc", "bảo hiểm", "ban chỉ đạo", "quản lý", "thường vụ", "thủ tướng", "giám đốc", "chủ tịch",
    "bộ trưởng", "thứ trưởng", "tỉnh", "thành phố", "huyện", "phường", "thị xã", "thị trấn", "công an",
    "quốc gia", "cục thuế", "tổng cục thuế", "bộ tài chính", "sở công thương", "bộ xây dựng", "trưởng ban",
    "chánh văn phòng", "phó chủ tịch", "chủ nhiệm", "phó chủ nhiệm", "phó giám đốc", "tổng cục trưởng",
    "cục trưởng", "ký thay", "thay mặt",
)
# fmt: on


def _build_lexicon() -> dict[str, tuple[tuple[str, ...], bool]]:
    entries: dict[str, tuple[tuple[str, ...], bool]] = {}
    clashes: set[str] = set()
    for phrases, proper in ((_PROPER, True), (_COMMON, False)):
        for phrase in phrases:
            key = fold(phrase)
            if key in entries and entries[key][0] != tuple(phrase.split()):
                clashes.add(key)
            entries.setdefault(key, (tuple(phrase.split()), proper))
    return {k: v for k, v in entries.items() if k not in clashes}


_LEXICON = _build_lexicon()
_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _syllable_key(word: str) -> str:
    """Lower case, tone mark moved to the end: ``hoà`` and ``hòa`` give the same key."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = "".join(ch for ch in decomposed if ch in _TONES)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES)) + tones


def _match_case(printed: str, word: str) -> str:
    if printed.isupper():
        return word.upper()
    if printed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


_PUNCT = ",.;:()\"'"


def _correct_words(text: str) -> str:
    """Put right the diacritics of known agency, place and title words, keeping the case."""
    tokens = text.split()
    cores = [t.strip(_PUNCT) for t in tokens]
    keys = [fold(c) for c in cores]
    i = 0
    while i < len(tokens):
        for size in (4, 3, 2, 1):
            span = keys[i : i + size]
            if len(span) < size or not all(span):
                continue
            entry = _LEXICON.get(" ".join(span))
            if entry is None or (size == 1 and len(span[0]) < 4):
                continue
            words = entry[0]
            for j, word in enumerate(words):
                core = cores[i + j]
                if _syllable_key(core) != _syllable_key(word):
                    tokens[i + j] = tokens[i + j].replace(core, _match_case(core, word), 1)
            i += size - 1
            break
        i += 1
    return " ".join(tokens)


_SYLLABLE = re.compile(r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$")


def _is_acronym(core: str) -> bool:
    letters = core.replace(".", "")
    return bool(letters) and (not _SYLLABLE.match(fold(letters)) or (letters.isupper() and len(letters) == 1))


_ORG_HEADS = (
    "uy ban nhan dan",
    "hoi dong nhan dan",
    "toa an nhan dan",
    "vien kiem sat nhan dan",
    "uy ban",
    "hoi dong",
    "tong cuc",
    "chi cuc",
    "cuc",
    "bo",
    "so",
    "vu",
    "ban",
    "van phong",
    "trung tam",
    "phong",
    "vien",
    "hoc vien",
    "truong",
    "benh vien",
    "thanh tra",
    "kho bac",
    "cong an",
    "bo chi huy",
    "thu tuong",
    "chu tich",
    "toa an",
    "kiem toan",
    "cong ty",
    "tong cong ty",
    "ngan hang",
    "dai hoc",
    "doan",
    "hoi",
    "dang uy",
    "mat tran",
    "lien doan",
    "tap doan",
    "bo tu lenh",
    "dai",
    "quy",
    "quoc hoi",
    "chinh phu",
    "ubnd",
    "hdnd",
)
_NO_CAP_AFTER = {"uy ban nhan dan", "hoi dong nhan dan", "toa an nhan dan", "vien kiem sat nhan dan"}
_ADMIN_UNITS = ("thanh pho", "thi xa", "thi tran", "tinh", "huyen", "quan", "xa", "phuong")
_FIELD_STOPS = {"ve", "cua", "tai", "thuoc", "cho", "tren"}


def _match_phrase(keys: list[str], i: int, phrases: Sequence[str]) -> str | None:
    for phrase in sorted(phrases, key=lambda p: -p.count(" ")):
        parts = phrase.split()
        if keys[i : i + len(parts)] == parts:
            return phrase
    return None


_SHORT_HEADS = {"bo": "bộ", "so": "sở", "cuc": "cục", "vu": "vụ"}


def _lexicon_at(keys: list[str], i: int) -> tuple[int, tuple[str, ...], bool] | None:
    for size in (4, 3, 2, 1):
        span = keys[i : i + size]
        if len(span) == size and (entry := _LEXICON.get(" ".join(span))):
            return size, entry[0], entry[1]
    return None


def _agency_case(printed: str) -> str:
    """``SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH`` -> ``Sở Văn hóa, Thể thao và Du lịch`` (Nghị định 30, Phụ lục II)."""
    text = re.sub(r"\s*[-\u2012-\u2015]\s*", " - ", _correct_words(printed))
    words = text.split()
    if words and fold(words[0]) in _SHORT_HEADS:  # BÒ, SO: too short for the lexicon
        words[0] = _match_case(words[0], _SHORT_HEADS[fold(words[0])])
    text = " ".join(_match_case(w, "và") if fold(w) == "va" else w for w in words)
    tokens = text.split()
    cores = [t.strip(_PUNCT) for t in tokens]
    keys = [fold(c) for c in cores]
    out: list[str] = []
    cap_next, fields_open, place = True, True, False
    i = 0

    def emit(j: int, word: str) -> None:
        out.append(tokens[j].replace(cores[j], word, 1) if cores[j] else tokens[j])

    while i < len(tokens):
        core, key = cores[i], keys[i]
        step = 1
        lex = _lexicon_at(keys, i)
        if core == "-" or not core:
            emit(i, core)
            cap_next = cap_next or fields_open or place
        elif _is_acronym(core):
            emit(i, core)
            cap_next = False
        elif i == 0 and (head := _match_phrase(keys, 0, _ORG_HEADS)):
            step = head.count(" ") + 1
            for j in range(step):
                word = cores[j] if _is_acronym(cores[j]) else cores[j].lower()
                emit(j, word[:1].upper() + word[1:] if j == 0 else word)
            cap_next = head not in _NO_CAP_AFTER
        elif lex and (lex[2] or lex[0] > len((_match_phrase(keys, i, _ADMIN_UNITS) or "").split())):
            step = lex[0]
            spelled = lex[1] if lex[2] else tuple(w.lower() for w in lex[1])
            for j, word in enumerate(spelled):
                emit(i + j, word[:1].upper() + word[1:] if j == 0 and (cap_next or place) else word)
            cap_next = False
        elif place and key != "va":
            emit(i, core[:1].upper() + core[1:].lower())
        elif i > 0 and (unit := _match_phrase(keys, i, _ADMIN_UNITS)):
            step = unit.count(" ") + 1
            for j in range(i, i + step):
                emit(j, cores[j].lower())
            place = True
        else:
            word = core.lower()
            emit(i, word[:1].upper() + word[1:] if cap_next or i == 0 else word)
            cap_next = key == "va" and fields_open
            if key in _FIELD_STOPS:
                fields_open = False
        if tokens[i + step - 1].endswith(","):
            place = False
            cap_next = fields_open
        i += step
    return " ".join(out)


# ---------------------------------------------------------------------------- issuer

_URGENCY = {"khan", "thuong khan", "hoa toc", "mat", "toi mat", "tuyet mat", "du thao", "ban sao"}
_CONTINUATIONS = ("va", "-", "ve", *_ADMIN_UNITS)


def _header_org_lines(lines: list[_Line], end: int, skip: set[int]) -> list[_Line]:
    out: list[_Line] = []
    for i, line in enumerate(lines[: min(end, 16)]):
        if i in skip or line.column == "right" or _is_motto(line) or _is_separator(line):
            continue
        key = line.key
        cut = re.search(r"(?:^|\s)s\s?[oô6]\s*:", key)
        text = line.text[: cut.start()].strip() if cut else line.text
        if _title_type(line) or _starts_body(line):
            break
        letters = sum(ch.isalpha() for ch in text)
        if letters < 2 or _DATE.search(fold(text)) or re.match(r"v\s?/\s?v\b", key):
            continue
        if _upper_ratio(text) < 0.7:
            if out:
                break  # the left block is over: body text or a subject follows
            continue
        if fold(text).strip(" .:") not in _URGENCY:
            out.append(replace(line, text=text, key=_key(text)))
    return out


def _words(key: str) -> list[str]:
    return re.sub(r"[^a-z0-9 -]", " ", key).split()


def _group_orgs(org_lines: list[_Line]) -> list[list[_Line]]:
    orgs: list[list[_Line]] = []
    for line in org_lines:
        words = _words(line.key)
        prev = orgs[-1][-1] if orgs else None
        continues = prev is not None and (
            prev.text.rstrip().endswith((",", "-"))
            or _words(prev.key)[-1:] == ["va"]
            or len(words) == 1  # a lone word is the end of a wrapped name
            or (words and words[0] in _CONTINUATIONS)
            or _match_phrase(words, 0, _ADMIN_UNITS) is not None
            or _match_phrase(words, 0, _ORG_HEADS) is None
            or f"{_words(prev.key)[-1]} {words[0]}" in _LEXICON  # MÔI / TRƯỜNG
        )
        if continues:
            orgs[-1].append(line)
        else:
            orgs.append([line])
    return orgs


def _find_issuer(lines: list[_Line], end: int, skip: set[int]) -> tuple[str | None, str | None, float]:
    orgs = _group_orgs(_header_org_lines(lines, end, skip))
    if not orgs:
        return None, None, 0.0
    names = [" ".join(line.text.strip(" .,;:_-'\"„") for line in org) for org in orgs]
    issuer = _agency_case(names[-1])
    parent = _agency_case(names[-2]) if len(names) > 1 else None
    known = _match_phrase(_words(orgs[-1][0].key), 0, _ORG_HEADS) is not None
    conf = (0.9 if known else 0.6) * mean(line.conf for line in orgs[-1]) * (0.8 if len(orgs) > 3 else 1.0)
    return issuer, parent, conf


# ---------------------------------------------------------------------------- subject

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
_JOINING_ENDS = (  # a subject line cannot end on these: the next line goes on with it
    "va", "cua", "ve", "cho", "tai", "tren", "theo", "voi", "so", "doi voi", "trong", "den", "tu",
    "cac", "nhung", "ngay", "viec", "ve viec", "giua", "nham", "de", "la", "thuoc",
)
_WEAK_ENDS = ("tinh", "huyen", "xa", "phuong", "thanh pho", "quan", "thi xa", "nam", "giai doan", "dia ban")
# fmt: on
_VV = re.compile(r"^v\s?[/.]\s?v\b\s*[:.]?\s*")
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
    text = normalize_space(" ".join(parts)).strip(" ;-_")
    m = _VV.match(_key(text))
    if m:
        text = text[m.end() :].strip()
    return text or None


def _subject_after_title(lines: list[_Line], start: int, rest: str = "") -> tuple[str | None, float]:
    parts: list[_Line] = []
    upper = bool(rest) and _upper_ratio(rest) > 0.8
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
    return _clean_subject([p.text for p in parts]), 0.8 * mean(p.conf for p in parts)


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
        for nxt in lines[i + 1 : min(end, i + 9)]:
            if nxt.column == "right" or _is_motto(nxt) or _DATE.search(nxt.key) or _NUM_LABEL.match(nxt.key):
                continue  # the other column, read in between
            if _starts_body(nxt) or _upper_ratio(nxt.text) > 0.7 or not _continues_subject(parts[-1], nxt, False):
                break
            parts.append(nxt)
        return _clean_subject([p.text for p in parts]), 0.85 * mean(p.conf for p in parts), i
    return None, 0.0, None


# ---------------------------------------------------------------------------- signature, recipients

_NOI_NHAN = re.compile(rf"^[^a-z0-9]*{_fuzzy('noi')}\s*{_fuzzy('nhan')}\s*[:.;]?")
_BULLET = re.compile(r"^\s*[-+•*–·]\s*")
_PLACEHOLDER = re.compile(r"^\(?\s*(?:da ky|ky|ky ten|ky,|chu ky|dau|ky so|ky va|\(da ky)", re.I)


def _is_name(line: _Line) -> bool:
    words = line.text.strip(" .,;").split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in line.text) or ":" in line.text:
        return False
    if not all(w[:1].isupper() and w.isalpha() for w in words):
        return False
    if _upper_ratio(line.text) > 0.75 and _is_authority(line):
        return False
    return all(_SYLLABLE.match(fold(w)) for w in words)


def _split_tail(line: _Line) -> list[_Line]:
    """``- Như trên; KT. GIÁM ĐỐC`` -> the recipient and the signature text read on one line."""
    signing = re.search(r"\s((?:TM|KT|TL|TUQ)\.\s*\S.*)$", line.text)
    if signing and not _NOI_NHAN.match(line.key):
        # OCR garbage (a mangled "Nơi nhận:") in front of the signature column
        head = line.text[: signing.start()].strip()
        tail = _line(signing[1], line.page, line.conf, line.column)
        return [*([replace(line, text=head, key=_key(head))] if _BULLET.match(head) else []), tail]
    if not _BULLET.match(line.text):
        return [line]
    tokens = line.text.split()
    for cut in range(1, len(tokens) - 1):
        if not tokens[cut - 1].endswith((";", ".", ":", ",", ")")):
            continue
        tail = _line(" ".join(tokens[cut:]), line.page, line.conf, line.column)
        syllables = [t for t in tokens[cut:] if not _is_acronym(t.strip(_PUNCT))]
        if (len(syllables) >= 2 and _is_authority(tail)) or _is_name(tail):
            head = " ".join(tokens[:cut])
            return [replace(line, text=head, key=_key(head)), tail]
    return [line]


def _drop_placeholder(text: str) -> str:
    """``Lưu: VT. (Đã ký)``: the signature column's placeholder read on the recipient's row."""
    m = re.search(r"\s*\(\s*da\s*k[yi][^)]*\)?\s*$", _key(text))
    return text[: m.start()] if m else text


@dataclass(frozen=True)
class _Signature:
    authority: tuple[str, ...]
    name: str | None
    recipients: tuple[str, ...]
    conf_authority: float
    conf_name: float
    conf_recipients: float


def _find_signature(lines: list[_Line], body_start: int) -> _Signature:
    anchor = next((i for i, line in enumerate(lines) if i >= body_start and _NOI_NHAN.match(line.key)), None)
    if anchor is not None:
        window = lines[max(body_start, anchor - 15) : anchor + 40]
    else:
        window = lines[max(body_start, len(lines) - 30) :]
    expanded = [part for line in window for part in _split_tail(line)]
    recipients: list[str] = []
    recipient_confs: list[float] = []
    authority: list[_Line] = []
    name: _Line | None = None
    in_list = False
    open_item = False
    for line in expanded:
        m = _NOI_NHAN.match(line.key)
        if m and not recipients:
            in_list, rest = True, line.text[m.end() :].strip()
            if rest and _is_authority(_line(rest, line.page, line.conf)):
                authority.append(_line(rest, line.page, line.conf))  # the signature column, same row
            elif rest:
                recipients.append(_drop_placeholder(_BULLET.sub("", rest)))
                recipient_confs.append(line.conf)
                open_item = not rest.endswith((";", "."))
            continue
        if in_list and _BULLET.match(line.text):
            recipients.append(_drop_placeholder(_BULLET.sub("", line.text)))
            recipient_confs.append(line.conf)
            open_item = not line.text.endswith((";", "."))
            continue
        if in_list and open_item and line.text[:1].islower():
            recipients[-1] = f"{recipients[-1]} {line.text}"
            open_item = not line.text.endswith((";", "."))
            continue
        if _PLACEHOLDER.match(line.key):
            continue
        if name is None and _is_authority(line):
            authority.append(line)
        elif authority and name is None and _is_name(line):
            name = line
        elif name is None:
            if not in_list and (len(line.text.split()) >= 7 or _starts_body(line)):
                authority = []  # a heading in the body, not the signature block
        elif not in_list:
            break
    items = tuple(r.strip(" ;,.") for r in recipients if r.strip(" ;,."))
    return _Signature(
        tuple(_correct_words(a.text.strip(" .,;:_'\"")) for a in authority),
        normalize_space(name.text.strip(" .,;")) if name else None,
        items,
        0.85 * mean(a.conf for a in authority) if authority else 0.0,
        (0.9 if authority else 0.6) * name.conf if name else 0.0,
        0.8 * mean(recipient_confs) if recipient_confs else 0.0,
    )


# ---------------------------------------------------------------------------- codes

_CODE_CHARS = "[0-9OolI]"
_PROCEDURE = re.compile(
    rf"(?<![\w.]){_CODE_CHARS}{{1,2}}\.{_CODE_CHARS}{{6}}"
    rf"(?:\.{_CODE_CHARS}{{3}}\.{_CODE_CHARS}{{2}}\.{_CODE_CHARS}{{2}}\.[A-Z]{_CODE_CHARS}{{2}})?"
    rf"(?:\.{_CODE_CHARS}{{2}}(?![\d.]))?(?![\w])"
)
_DOSSIER = re.compile(r"(?<![\w.])[0-9A-Z]{2,3}(?:\s?\.\s?[0-9A-Z]{2,3}){2,4}\s?-\s?\d{6}\s?-\s?\d{4,5}(?!\d)")


def _code_text(text: str) -> str:
    return re.sub(r"(?<=[\d.])\s+(?=[\d.])|(?<=\.)\s+(?=[A-Z]\d)", "", text)


def _find_procedure(lines: list[_Line]) -> tuple[str | None, float]:
    fallback: tuple[str | None, float] = (None, 0.0)
    for line in lines:
        for m in _PROCEDURE.finditer(_code_text(line.text)):
            head, _, tail = m[0].partition(".")
            code = f"{head.translate(_DIGITISH)}.{tail[:6].translate(_DIGITISH)}{tail[6:]}"
            code = re.sub(r"(?<=\.)[0-9OolI]+", lambda d: d[0].translate(_DIGITISH), code)
            if not PROCEDURE_CODE_RE.match(code):
                continue
            before = _key(_code_text(line.text)[: m.start()])
            labelled = re.search(r"(?:ma|so)\s*(?:so\s*)?(?:thu\s*tuc|tthc)|thu\s*tuc", before)
            if labelled:
                return code, 0.95 * line.conf
            if fallback[0] is None:
                fallback = (code, 0.75 * line.conf)
    return fallback


def _find_dossier(lines: list[_Line]) -> tuple[str | None, float]:
    fallback: tuple[str | None, float] = (None, 0.0)
    for line in lines:
        for m in _DOSSIER.finditer(line.text):
            code = re.sub(r"\s", "", m[0])
            stamp = code.split("-")[-2]
            if not DOSSIER_CODE_RE.match(code) or _iso(stamp[4:], stamp[2:4], "20" + stamp[:2]) is None:
                continue
            if re.search(r"(?:ma|so)\s*(?:so\s*)?ho\s*so", line.key[: m.start()]):
                return code, 0.95 * line.conf
            if fallback[0] is None:
                fallback = (code, 0.8 * line.conf)
    return fallback


# ---------------------------------------------------------------------------- assembly


def extract_metadata(pages: Sequence[PageText]) -> Metadata:
    """Read the filing metadata printed on ``pages`` (all pages of one document, any order)."""
    lines = _collect_lines(pages)
    if not lines:
        return Metadata()
    conf: dict[str, float] = {}
    values: dict[str, object] = {}

    title = _find_title(lines)
    first_page = lines[0].page
    page_one = [i for i, line in enumerate(lines) if line.page == first_page]
    kinh_gui = next((i for i in page_one if lines[i].key.startswith("kinh gui")), None)
    body = next((i for i in page_one if i > 0 and _starts_body(lines[i])), None)
    ends = (title.index if title else None, kinh_gui, body, len(page_one), 30)
    header_end = min(x for x in ends if x is not None)

    number = _find_number(lines, max(header_end, min(len(page_one), (title.index + 8) if title else 30)))
    date = _find_date(lines, [*range(min(len(lines), header_end + 8)), *range(header_end + 8, len(lines))])
    vv_subject, vv_conf, vv_line = _subject_vv(lines, header_end if title else min(len(lines), 45), set())
    skip = {i for i in (number.line if number else None, date.line if date else None) if i is not None}
    issuer, parent, issuer_conf = _find_issuer(lines, header_end, skip)

    doc_type, type_conf = _decide_type(lines, title, number, vv_line is not None or kinh_gui is not None)
    if doc_type is not None:
        values["document_type"] = doc_type.name
        conf["document_type"] = type_conf
        code = _printed_code(doc_type, number)
        if code:
            values["type_code"], conf["type_code"] = code, type_conf
    if number is not None:
        if number.number:
            values["number"], conf["number"] = number.number, number.conf
        if number.year:
            values["number_year"], conf["number_year"] = number.year, number.conf
        values["symbol"], conf["symbol"] = number.symbol, number.conf
        values["number_symbol"], conf["number_symbol"] = number.text, number.conf
    if date is not None:
        if date.place:
            values["issued_place"], conf["issued_place"] = date.place, date.conf
        if date.iso:
            values["issued_date"], conf["issued_date"] = date.iso, date.conf
        values["issued_date_text"], conf["issued_date_text"] = date.text, date.conf
    if issuer:
        values["issuer"], conf["issuer"] = issuer, issuer_conf
    if parent:
        values["parent_issuer"], conf["parent_issuer"] = parent, 0.85 * issuer_conf

    subject, subject_conf = (None, 0.0)
    if title is not None and title.doc_type.group in ("administrative", "legal"):
        # licences, certificates and receipts have no trích yếu: what follows the title is the grant
        subject, subject_conf = _subject_after_title(lines, title.end, title.rest)
    if subject is None and vv_subject:
        subject, subject_conf = vv_subject, vv_conf
    if subject:
        values["subject"], conf["subject"] = subject, subject_conf

    body_start = title.end if title else header_end
    signature = _find_signature(lines, body_start)
    if signature.authority:
        values["signer_authority"] = signature.authority
        values["signer_title"] = signature.authority[-1]
        conf["signer_authority"] = conf["signer_title"] = signature.conf_authority
    if signature.name:
        values["signer_name"], conf["signer_name"] = signature.name, signature.conf_name
    if signature.recipients:
        values["recipients"], conf["recipients"] = signature.recipients, signature.conf_recipients

    procedure, procedure_conf = _find_procedure(lines)
    if procedure:
        values["procedure_code"], conf["procedure_code"] = procedure, procedure_conf
    dossier, dossier_conf = _find_dossier(lines)
    if dossier:
        values["dossier_code"], conf["dossier_code"] = dossier, dossier_conf
    rounded = {k: round(max(0.0, min(1.0, v)), 3) for k, v in conf.items()}
    return Metadata(**values, confidence=rounded)  # type: ignore[arg-type]


def _decide_type(
    lines: list[_Line], title: _Title | None, number: _Number | None, letter_like: bool
) -> tuple[DocType | None, float]:
    head = number.symbol.partition("-")[0] if number and "-" in number.symbol else ""
    by_code = find_type_by_code(head) if head else None
    if title is not None:
        line = lines[title.index]
        conf = (0.9 if title.exact else 0.75) * line.conf
        if by_code is title.doc_type:
            conf = max(conf, 0.97 * line.conf)
        elif by_code is not None:
            conf *= 0.8
        return title.doc_type, conf
    if by_code is not None:
        return by_code, 0.75 * (number.conf if number else 1.0)
    if letter_like:
        return CONG_VAN, 0.8 if number else 0.6
    if any(line.key.startswith("ma ho so") for line in lines):
        return RECEIPT, 0.5
    return None, 0.0


def _printed_code(doc_type: DocType, number: _Number | None) -> str | None:
    if not doc_type.code:
        return None
    head = number.symbol.partition("-")[0] if number else ""
    return head if head in doc_type.codes else doc_type.code

"""The issuing agency and its parent (header block, top left), in normal capitalisation."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from statistics import mean

from sohoa.core.text import fold
from sohoa.ingest.metadata.correct import repair_damaged
from sohoa.ingest.metadata.lexicon import _LEXICON, _PUNCT, _correct_words, _is_acronym, _match_case
from sohoa.ingest.metadata.lines import _is_motto, _is_separator, _key, _Line, _starts_body, _upper_ratio, _words
from sohoa.ingest.metadata.numbers import _DATE
from sohoa.ingest.metadata.syllables import is_syllable
from sohoa.ingest.metadata.title import _title_type

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
    "bao hiem xa hoi",
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


_URGENCY = {"khan", "thuong khan", "hoa toc", "mat", "toi mat", "tuyet mat", "du thao", "ban sao"}


_CONTINUATIONS = ("va", "-", "ve", *_ADMIN_UNITS)


def _header_org_lines(lines: list[_Line], end: int, skip: set[int]) -> list[_Line]:
    out: list[_Line] = []
    for i, line in enumerate(lines[: min(end, 16)]):
        if i in skip or line.column == "right" or _is_motto(line) or _is_separator(line):
            continue
        key = line.key
        cut = re.search(r"(?:^|[\s_])s\s?[oô6]\s*:", key)  # ``_S6:``: a speck off the rule above
        text = line.text[: cut.start()].strip() if cut else line.text
        # OCR's ``TỔỐNG`` is no agency head, and the name would be read into its parent's
        text = repair_damaged(text) if line.conf < 1.0 else text
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


def _group_orgs(org_lines: list[_Line]) -> list[list[_Line]]:
    orgs: list[list[_Line]] = []
    for line in org_lines:
        words = _words(line.key)
        prev = orgs[-1][-1] if orgs else None
        head = _match_phrase(words, 0, _ORG_HEADS) is not None
        continues = prev is not None and (
            # a hyphen or comma ending a line carries the name on, unless the next line opens an
            # agency of its own: then it was a speck (``UBND TỈNH LÀO`` / ``CAI -`` / ``SỞ Y TẾ``)
            (prev.text.rstrip().endswith((",", "-")) and not head)
            or _words(prev.key)[-1:] == ["va"]
            or len(words) == 1  # a lone word is the end of a wrapped name
            or (words and words[0] in _CONTINUATIONS)
            or _match_phrase(words, 0, _ADMIN_UNITS) is not None
            or not head
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
    names = [" ".join(_org_piece(line.text, k < len(org) - 1) for k, line in enumerate(org)) for org in orgs]
    issuer = _agency_case(names[-1])
    parent = _agency_case(names[-2]) if len(names) > 1 else None
    known = _match_phrase(_words(orgs[-1][0].key), 0, _ORG_HEADS) is not None
    conf = (0.9 if known else 0.6) * mean(line.conf for line in orgs[-1]) * (0.8 if len(orgs) > 3 else 1.0)
    if any(_unsure_damage(w.strip(_PUNCT)) for line in orgs[-1] for w in line.weak):
        conf *= 0.7  # a word OCR was unsure of and no syllable: the name may hold a neighbour's letters
    return issuer, parent, conf


def _org_piece(text: str, more: bool) -> str:
    """A line of an agency's name without specks at its edges; a hyphen that ends a line the name
    goes on from (``BỘ LAO ĐỘNG -`` / ``THƯƠNG BINH VÀ XÃ HỘI``) joins its two parts and stays."""
    piece = text.strip(" .,;:_-'\"„")
    return f"{piece} -" if more and re.search(r"\s-\s*$", text) else piece


def _unsure_damage(core: str) -> bool:
    """A word OCR was unsure of that is neither a syllable nor an acronym. An acronym has no vowel
    marks and no inner punctuation (``UBND``, ``HĐND``); ``BIWWỀNG``, ``PHƯ“ỘNG`` are damage."""
    core = core.strip("_-")
    if is_syllable(core) or not any(ch.isalpha() for ch in core):
        return False  # a speck (``_``, ``-``) is no word the name could hold
    marked = any(
        unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", core.replace("Đ", "D").replace("đ", "d"))
    )
    return not _is_acronym(core) or marked or not core.replace(".", "").isalnum()

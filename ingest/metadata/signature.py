"""The signature block (authority lines and signer name) and the recipients (``Nơi nhận``)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from statistics import mean

from sohoa.core.text import fold, normalize_space
from sohoa.ingest.metadata.lexicon import _PUNCT, _SYLLABLE, _correct_words, _is_acronym
from sohoa.ingest.metadata.lines import _fuzzy, _is_authority, _key, _Line, _line, _starts_body, _upper_ratio

_NOI_NHAN = re.compile(rf"^[^a-z0-9]*{_fuzzy('noi')}\s*{_fuzzy('nhan')}\s*[:.;]?")


_BULLET = re.compile(r"^\s*[-+•*–·]\s*")


_PLACEHOLDER = re.compile(r"^\(?\s*(?:da ky|ky|ky ten|ky,|chu ky|dau|ky so|ky va|\(da ky)", re.I)


def _is_name(line: _Line) -> bool:
    words = line.text.strip(" .,;").split()
    if not 2 <= len(words) <= 6 or any(ch.isdigit() for ch in line.text) or ":" in line.text:
        return False
    if not all(w[:1].isupper() and w.isalpha() for w in words):
        return False
    # Nghị định 30 prints the signer's name in lower case (bold): a line of capitals under the
    # authority is its title's second line with a word lost under the seal (``VĂN PHÒNG``, ``HÓ GIÁM ĐỐC``)
    if _upper_ratio(line.text) > 0.75:
        return False
    return all(_SYLLABLE.match(fold(w)) and _marks_on_vowels(w) for w in words)


def _marks_on_vowels(word: str) -> bool:
    """Vietnamese puts marks on vowels only (``Đ`` aside): ``Ñô`` is a seal's speck read into a name."""
    base = ""
    for ch in unicodedata.normalize("NFD", word.replace("Đ", "D").replace("đ", "d")):
        if unicodedata.combining(ch) and (not base or base not in "aeiouyAEIOUY"):
            return False
        if not unicodedata.combining(ch):
            base = ch
    return True


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


# who signs for whom (ký thay, Nghị định 30 Phụ lục I): the deputy of a head, by the head's title
_DEPUTIES = {"bo truong": "THỨ TRƯỞNG"}
_HEADS = ("chu tich", "giam doc", "tong giam doc", "cuc truong", "tong cuc truong", "chi cuc truong",
          "truong ban", "truong phong", "chanh van phong", "chanh an", "vien truong", "thu tuong",
          "chu nhiem", "hieu truong", "bo truong")  # fmt: skip


def _deputy(authority: tuple[str, ...]) -> str | None:
    """``KT. GIÁM ĐỐC`` then an unreadable line: the signer is the deputy, ``PHÓ GIÁM ĐỐC``.

    Only where the block ends on a ``KT.`` line naming a bare head title and OCR saw a line it
    could not read before the name; the caller lowers the confidence."""
    if not authority or not fold(authority[-1]).startswith("kt."):
        return None
    head = authority[-1][3:].split(",")[-1].strip()
    key = fold(head)
    if key not in _HEADS:
        return None
    return _DEPUTIES.get(key, f"PHÓ {head.upper()}")


@dataclass(frozen=True)
class Signature:
    """The signature block and the ``Nơi nhận`` list beside it, as read: the name not yet put right
    (``correct.read_name`` does that for OCR text)."""

    authority: tuple[str, ...]
    name: str | None
    recipients: tuple[str, ...]
    conf_authority: float
    conf_name: float
    conf_recipients: float


def _find_signature(lines: list[_Line], body_start: int) -> Signature:
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
    unread = 0
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
        if authority and authority[-1].column == "right" and line.column == "left":
            continue  # the recipients' column, read between the signature block's lines
        if name is None and _is_authority(line):
            authority.append(line)
        elif authority and name is None and _is_name(line):
            name = line
        elif name is None:
            # a bullet is a recipient even where OCR lost the ``Nơi nhận`` label: no body heading
            if not in_list and not _BULLET.match(line.text) and (len(line.text.split()) >= 7 or _starts_body(line)):
                authority = []  # a heading in the body, not the signature block
            elif authority and (sum(ch.isalpha() for ch in line.text) <= 3 or line.conf < 0.5):
                unread += 1  # a line of the block OCR could not read (a stamp or signature over it)
        elif not in_list:
            break
    items = tuple(r.strip(" ;,.") for r in recipients if r.strip(" ;,."))
    lines_read = tuple(_correct_words(a.text.strip(" .,;:_'\"")) for a in authority)
    deputy = _deputy(lines_read) if name is not None and unread else None
    name_conf = (0.9 if authority else 0.6) * name.conf if name else 0.0
    if name is not None and _off_centre(name, authority):
        name_conf *= 0.6
    if name is None:
        name = _name_by_position(expanded)
        # a seal can hide the whole authority block: the name alone, where Phụ lục I puts it; with
        # nothing to centre it under, a word lost under the seal cannot be told (``Thanh Hòa``), so
        # a person should see it
        name_conf = 0.65 * name.conf if name else 0.0
    return Signature(
        (*lines_read, deputy) if deputy else lines_read,
        normalize_space(name.text.strip(" .,;")) if name else None,
        items,
        (0.6 if deputy else 0.85) * mean(a.conf for a in authority) if authority else 0.0,
        name_conf,
        0.8 * mean(recipient_confs) if recipient_confs else 0.0,
    )


def _off_centre(name: _Line, authority: list[_Line]) -> bool:
    """The name is not centred under the authority lines as Phụ lục I centres the block: a word of it
    is missing at one side (a surname lost under the seal leaves ``Đức Hương``, right of centre).

    The surest authority line gives the centre (a line the seal damaged has lost letters too); a
    name shifted by more than a tenth of its own width lost a word or gained a speck."""
    placed = [a for a in authority if a.geo is not None and a.page == name.page]
    if name.geo is None or not placed:
        return False
    # a centred heading read into the block (a decision's "GIÁM ĐỐC SỞ ..." over a short body) has
    # another centre than the signer's column: measure against the name's own column when it has one
    same_column = [a for a in placed if name.column and a.column == name.column]
    placed = same_column or placed
    surest = max(placed, key=lambda a: a.conf)
    assert surest.geo is not None
    return abs(name.geo.centre - surest.geo.centre) > 0.1 * name.geo.width + 0.005


def _name_by_position(lines: list[_Line]) -> _Line | None:
    """The lowest name-shaped line in the right half of the last page that has a signature block."""
    placed = [line for line in lines if line.geo is not None]
    if not placed:
        return None
    last_page = max(line.page for line in placed)
    names = [
        line
        for line in placed
        if line.page == last_page and line.geo is not None and line.geo.centre > 0.55 and _is_name(line)
    ]
    return max(names, key=lambda line: line.geo.top if line.geo else 0.0) if names else None

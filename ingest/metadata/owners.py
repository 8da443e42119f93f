"""Owners' id numbers and validity read from a document's text.

- Owner candidates follow their printed label: ``CCCD số``, ``Căn cước công dân số``, ``Số định danh
  cá nhân``, ``CMND số``, ``Hộ chiếu số``, ``Mã số doanh nghiệp``, ``Mã số thuế``, ``MST``. A number
  that fails its type's rules (a CCCD whose first three digits are no province) is not a candidate.
  Confidence: 0.95 with a label on the same line, times the page's OCR confidence when it has one.
- Validity: ``có giá trị đến ngày 31/12/2030`` (or ``... ngày 31 tháng 12 năm 2030``, ``có hiệu lực
  đến``) gives ``valid_until``; ``từ ngày ... đến ngày ...`` gives both ends; ``thời hạn 5 năm`` (or
  ``có giá trị 05 năm``) counts the years from the issue date.

Plain functions over text: the caller decides what a disagreement with the dossier means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sohoa.core.errors import InputRejected
from sohoa.core.owners import OwnerId, OwnerIdType, parse_owner_id
from sohoa.core.text import fold

__all__ = ["OwnerCandidate", "read_owner_ids", "read_validity"]


@dataclass(frozen=True)
class OwnerCandidate:
    id_type: str
    id_number: str
    confidence: float
    label: str  # the printed label, folded

    def to_dict(self) -> dict[str, object]:
        return {
            "id_type": self.id_type,
            "id_number": self.id_number,
            "confidence": self.confidence,
            "label": self.label,
        }


# Folded labels, longest first so "so dinh danh ca nhan" wins over "so dinh danh".
_LABELS: tuple[tuple[str, OwnerIdType], ...] = (
    (r"so\s+dinh\s+danh\s+ca\s+nhan", OwnerIdType.CCCD),
    (r"can\s+cuoc\s+cong\s+dan", OwnerIdType.CCCD),
    (r"so\s+dinh\s+danh", OwnerIdType.CCCD),
    (r"cccd", OwnerIdType.CCCD),
    (r"chung\s+minh\s+nhan\s+dan", OwnerIdType.CMND),
    (r"cmnd", OwnerIdType.CMND),
    (r"ho\s+chieu", OwnerIdType.PASSPORT),
    (r"ma\s+so\s+doanh\s+nghiep", OwnerIdType.MST),
    (r"ma\s+so\s+thue", OwnerIdType.MST),
    (r"mst", OwnerIdType.MST),
    (r"msdn", OwnerIdType.MST),
)
# Between the label and the number: "số", ":", "/", a few words at most ("CCCD số:", "MST/Mã số DN:").
_GAP = r"[^\n\d]{0,24}?"
_NUMBER = {
    OwnerIdType.CCCD: r"(\d[\d .]{10,16}\d)",
    OwnerIdType.CMND: r"(\d[\d .]{7,12}\d)",
    OwnerIdType.PASSPORT: r"([a-z]\s?\d{7,8}|\d{8,9})",
    OwnerIdType.MST: r"(\d[\d .]{8,12}\d(?:\s?-\s?\d{3})?)",
}
_PATTERNS = tuple(
    (re.compile(rf"\b{label}\b{_GAP}{_NUMBER[kind]}"), kind, label.replace(r"\s+", " ")) for label, kind in _LABELS
)


def _first_valid(kind: OwnerIdType, printed: str) -> OwnerId | None:
    """The longest run of the printed groups that is a valid id: "0312345678 12/2024" is 0312345678."""
    groups = [g for g in re.split(r"[ .]+", printed.strip()) if g]
    for end in range(len(groups), 0, -1):
        try:
            return parse_owner_id(kind, "".join(groups[:end]))
        except InputRejected:
            continue
    return None


def read_owner_ids(text: str, *, ocr_confidence: float | None = None) -> tuple[OwnerCandidate, ...]:
    """Every labelled, valid owner id in ``text``, once each, in reading order."""
    scale = 1.0 if ocr_confidence is None else max(0.0, min(1.0, ocr_confidence / 100.0))
    found: dict[tuple[str, str], OwnerCandidate] = {}
    for line in fold(text).splitlines():
        taken: list[tuple[int, int]] = []
        for pattern, kind, label in _PATTERNS:
            for match in pattern.finditer(line):
                span = match.span(1)
                if any(a <= span[0] < b for a, b in taken):
                    continue  # the number already read under a longer label
                owner = _first_valid(kind, match.group(1))
                if owner is None:
                    continue
                taken.append(span)
                key = (owner.id_type.value, owner.id_number)
                if key not in found:
                    found[key] = OwnerCandidate(key[0], key[1], round(0.95 * scale, 3), label)
    return tuple(found.values())


_DATE = r"(\d{1,2})\s*(?:/|-|\.|thang)\s*(\d{1,2})\s*(?:/|-|\.|nam)\s*(\d{4})"
_UNTIL = re.compile(rf"(?:co\s+gia\s+tri|co\s+hieu\s+luc)[^\n]{{0,40}}?den\s+(?:het\s+)?ngay\s*{_DATE}")
# "có hiệu lực thi hành từ ngày" is a legal text taking effect, not a paper's validity.
_FROM = re.compile(rf"(?:co\s+gia\s+tri|co\s+hieu\s+luc(?!\s+thi\s+hanh))[^\n]{{0,20}}?(?:ke\s+)?tu\s+ngay\s*{_DATE}")
_YEARS = re.compile(
    r"(?:thoi\s+han|co\s+gia\s+tri(?:\s+trong)?)\s*(?:la\s*)?:?\s*(\d{1,2})\s*(?:\(\s*[a-z ]+\))?\s*nam\b"
)


def _day(groups: tuple[str, ...]) -> date | None:
    dd, mm, yyyy = (int(g) for g in groups)
    try:
        return date(yyyy, mm, dd)
    except ValueError:
        return None


def _add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def read_validity(text: str, issued_date: str | None) -> tuple[date | None, date | None]:
    """(valid_from, valid_until) as printed; None where the text says nothing."""
    folded = " ".join(fold(text).split())
    valid_from = valid_until = None
    if match := _UNTIL.search(folded):
        valid_until = _day(match.groups())
    if match := _FROM.search(folded):
        valid_from = _day(match.groups())
    if valid_until is None and (match := _YEARS.search(folded)):
        start = valid_from
        if start is None and issued_date:
            try:
                start = date.fromisoformat(issued_date)
            except ValueError:
                start = None
        years = int(match.group(1))
        if start is not None and 0 < years <= 99:
            valid_until = _add_years(start, years)
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        return None, None  # a misreading: keep neither rather than a wrong window
    return valid_from, valid_until

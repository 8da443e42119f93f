"""The table of document types sohoa recognises.

Administrative types are the 29 of Nghị định 30/2020/NĐ-CP (Điều 7), with the abbreviations
of its Phụ lục III. Older abbreviations still printed on many documents (Thông tư 01/2011/TT-BNV:
``GN``, ``TTh``, ``UQ``, ``GT``, ``NP``...) are accepted as aliases, so ``type_code`` can keep
what the paper says while the type resolves to one canonical name. Legal documents (Luật
ban hành văn bản quy phạm pháp luật), sector documents (licences, certificates) and the
one-stop dossier receipt complete the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sohoa.core.text import fold

__all__ = [
    "ADMINISTRATIVE_TYPES",
    "CONG_VAN",
    "DOC_TYPES",
    "RECEIPT",
    "DocType",
    "TypeGroup",
    "find_type_by_code",
    "find_type_by_name",
]

TypeGroup = Literal["administrative", "legal", "sector", "receipt"]


@dataclass(frozen=True)
class DocType:
    name: str  # sentence case, as stored in Metadata.document_type
    code: str | None  # abbreviation in the number symbol (Phụ lục III); None when the type has none
    group: TypeGroup
    aliases: tuple[str, ...] = ()  # other abbreviations printed for the same type
    titles: tuple[str, ...] = ()  # other printed titles of the same type
    numbered: bool = True  # carries "Số: .../..." (number and symbol)

    @property
    def codes(self) -> tuple[str, ...]:
        return ((self.code,) if self.code else ()) + self.aliases


def _admin(name: str, code: str | None, *aliases: str, numbered: bool = True) -> DocType:
    return DocType(name, code, "administrative", aliases, numbered=numbered)


ADMINISTRATIVE_TYPES: tuple[DocType, ...] = (
    _admin("Nghị quyết", "NQ"),
    _admin("Quyết định", "QĐ"),
    _admin("Chỉ thị", "CT"),
    _admin("Quy chế", "QC"),
    _admin("Quy định", "QyĐ"),
    _admin("Thông cáo", "TC"),
    _admin("Thông báo", "TB"),
    _admin("Hướng dẫn", "HD"),
    _admin("Chương trình", "CTr"),
    _admin("Kế hoạch", "KH"),
    _admin("Phương án", "PA"),
    _admin("Đề án", "ĐA"),
    _admin("Dự án", "DA"),
    _admin("Báo cáo", "BC"),
    _admin("Biên bản", "BB"),
    _admin("Tờ trình", "TTr"),
    _admin("Hợp đồng", "HĐ"),
    _admin("Công văn", None),
    _admin("Công điện", "CĐ"),
    _admin("Bản ghi nhớ", "BGN", "GN"),
    _admin("Bản thỏa thuận", "BTT", "TTa", "TTh"),
    _admin("Giấy ủy quyền", "GUQ", "UQ"),
    _admin("Giấy mời", "GM"),
    _admin("Giấy giới thiệu", "GGT", "GT"),
    _admin("Giấy nghỉ phép", "GNP", "NP"),
    _admin("Phiếu gửi", "PG"),
    _admin("Phiếu chuyển", "PC"),
    _admin("Phiếu báo", "PB"),
    _admin("Thư công", None, numbered=False),
)

CONG_VAN = ADMINISTRATIVE_TYPES[17]

RECEIPT = DocType(
    "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    None,
    "receipt",
    titles=("Giấy biên nhận hồ sơ và hẹn trả kết quả", "Phiếu tiếp nhận hồ sơ và hẹn trả kết quả"),
    numbered=False,  # identified by its dossier code (mã hồ sơ), not by a number
)

DOC_TYPES: tuple[DocType, ...] = (
    *ADMINISTRATIVE_TYPES,
    DocType("Hiến pháp", None, "legal", numbered=False),
    DocType("Bộ luật", None, "legal"),
    DocType("Luật", None, "legal"),
    DocType("Pháp lệnh", None, "legal"),
    DocType("Lệnh", "L", "legal"),
    DocType("Nghị định", "NĐ", "legal"),
    DocType("Thông tư liên tịch", "TTLT", "legal"),
    DocType("Thông tư", "TT", "legal"),
    DocType("Giấy phép", "GP", "sector"),
    DocType("Giấy chứng nhận", "GCN", "sector"),
    RECEIPT,
)

_BY_CODE: dict[str, DocType] = {}
_BY_CODE_UPPER: dict[str, DocType] = {}
_BY_CODE_FOLDED: dict[str, DocType] = {}
for _t in DOC_TYPES:
    for _c in _t.codes:
        _BY_CODE.setdefault(_c, _t)
        _BY_CODE_UPPER.setdefault(_c.upper(), _t)
        _BY_CODE_FOLDED.setdefault(fold(_c), _t)

_BY_NAME: dict[str, DocType] = {}
for _t in DOC_TYPES:
    for _n in (_t.name, *_t.titles):
        _BY_NAME.setdefault(fold(_n), _t)


def find_type_by_code(code: str) -> DocType | None:
    """The type whose abbreviation is ``code``.

    Exact spelling wins (``DA`` Dự án vs ``ĐA`` Đề án); then any case; then without the
    stroke of Đ, which OCR often loses (``QD`` -> Quyết định).
    """
    value = code.strip().replace("\u00d0", "Đ")
    return _BY_CODE.get(value) or _BY_CODE_UPPER.get(value.upper()) or _BY_CODE_FOLDED.get(fold(value))


def find_type_by_name(name: str) -> DocType | None:
    """The type printed as ``name`` (any case, diacritics optional: ``QUYET DINH``)."""
    return _BY_NAME.get(" ".join(fold(name).split()))

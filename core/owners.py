"""Who a dossier belongs to: the owner's identity number, its validation and its masked form.

An owner (chủ hồ sơ) is identified as Thông tư 01/2023/TT-VPCP describes the owner's store:

- ``cccd``: Căn cước công dân / số định danh cá nhân, 12 digits whose first three are the code of
  the province of birth registration (Thông tư 07/2016/TT-BCA, amended by 59/2021/TT-BCA);
- ``cmnd``: the legacy Chứng minh nhân dân, 9 digits;
- ``passport``: a passport number (a foreigner), 6 to 12 letters and digits;
- ``mst``: mã số thuế / mã số doanh nghiệp, 10 digits, or 13 written ``0123456789-001`` for a
  branch (13 digits without the hyphen are accepted and written with it).

Numbers are personal data (Nghị định 13/2023/NĐ-CP): error messages carry the masked form only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sohoa.core.errors import InputRejected
from sohoa.core.text import fold, nfc, normalize_space

__all__ = [
    "ID_TYPE_ALIASES",
    "OWNER_ID_SHAPES",
    "PROVINCE_CODES",
    "OwnerFields",
    "OwnerId",
    "OwnerIdType",
    "clean_name",
    "mask_id",
    "parse_id_type",
    "parse_owner_id",
]


class OwnerIdType(StrEnum):
    CCCD = "cccd"
    CMND = "cmnd"
    PASSPORT = "passport"
    MST = "mst"


# Mã tỉnh, thành phố trực thuộc trung ương nơi công dân đăng ký khai sinh (63 codes).
PROVINCE_CODES: frozenset[str] = frozenset(
    [
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    ]
)

OWNER_ID_SHAPES: dict[OwnerIdType, str] = {
    OwnerIdType.CCCD: "12 digits, the first three a province code (001 Hà Nội ... 096 Cà Mau)",
    OwnerIdType.CMND: "9 digits",
    OwnerIdType.PASSPORT: "6 to 12 letters and digits, e.g. C1234567",
    OwnerIdType.MST: "10 digits, or 10-3 for a branch, e.g. 0123456789 or 0123456789-001",
}

# Folded spellings people and registers use for each type.
ID_TYPE_ALIASES: dict[str, OwnerIdType] = {
    "cccd": OwnerIdType.CCCD,
    "can cuoc": OwnerIdType.CCCD,
    "can cuoc cong dan": OwnerIdType.CCCD,
    "so dinh danh": OwnerIdType.CCCD,
    "so dinh danh ca nhan": OwnerIdType.CCCD,
    "cmnd": OwnerIdType.CMND,
    "chung minh nhan dan": OwnerIdType.CMND,
    "passport": OwnerIdType.PASSPORT,
    "ho chieu": OwnerIdType.PASSPORT,
    "mst": OwnerIdType.MST,
    "ma so thue": OwnerIdType.MST,
    "ma so doanh nghiep": OwnerIdType.MST,
    "msdn": OwnerIdType.MST,
}

_CCCD = re.compile(r"^\d{12}$")
_CMND = re.compile(r"^\d{9}$")
_PASSPORT = re.compile(r"^(?=.*\d)[A-Z0-9]{6,12}$")
_MST = re.compile(r"^(\d{10})(?:-?(\d{3}))?$")


def mask_id(number: str) -> str:
    """``001*******89``: the first three and last two characters shown, the others starred."""
    visible = [i for i, ch in enumerate(number) if ch.isalnum()]
    if len(visible) <= 5:
        return "*" * len(number)
    shown = set(visible[:3] + visible[-2:])
    return "".join(ch if (i in shown or not ch.isalnum()) else "*" for i, ch in enumerate(number))


def parse_id_type(value: str) -> OwnerIdType:
    key = normalize_space(fold(value or "")).replace("_", " ")
    found = ID_TYPE_ALIASES.get(key)
    if found is None:
        raise InputRejected(
            f"invalid owner id type {value!r} (expected cccd, cmnd, passport or mst)",
            code="invalid_owner_id_type",
            details={"owner_id_type": value, "expected": [t.value for t in OwnerIdType]},
        )
    return found


@dataclass(frozen=True, order=True)
class OwnerId:
    id_type: OwnerIdType
    id_number: str

    @property
    def masked(self) -> str:
        return mask_id(self.id_number)

    def shown(self, full: bool) -> str:
        return self.id_number if full else self.masked


def _refuse(id_type: OwnerIdType, raw: str, why: str) -> InputRejected:
    # The number itself is personal data: the message shows its masked form only.
    return InputRejected(
        f"Số định danh không hợp lệ / invalid {id_type.value} number {mask_id(raw)!r}: {why} "
        f"(expected {OWNER_ID_SHAPES[id_type]})",
        code="invalid_owner_id",
        details={"owner_id_type": id_type.value, "expected": OWNER_ID_SHAPES[id_type]},
    )


def parse_owner_id(id_type: str | OwnerIdType, number: str) -> OwnerId:
    """A validated owner id in its one written form; InputRejected (``invalid_owner_id``) otherwise."""
    kind = id_type if isinstance(id_type, OwnerIdType) else parse_id_type(id_type)
    raw = re.sub(r"[\s.]", "", number or "").upper()
    if kind is OwnerIdType.CCCD:
        if not _CCCD.match(raw):
            raise _refuse(kind, raw, "not 12 digits")
        if raw[:3] not in PROVINCE_CODES:
            raise _refuse(kind, raw, "its first three digits are not a province code")
        return OwnerId(kind, raw)
    if kind is OwnerIdType.CMND:
        if not _CMND.match(raw):
            raise _refuse(kind, raw, "not 9 digits")
        return OwnerId(kind, raw)
    if kind is OwnerIdType.PASSPORT:
        if not _PASSPORT.match(raw):
            raise _refuse(kind, raw, "not 6 to 12 letters and digits")
        return OwnerId(kind, raw)
    match = _MST.match(raw)
    if match is None:
        raise _refuse(kind, raw, "not 10 digits or 10-3")
    head, branch = match.groups()
    return OwnerId(kind, f"{head}-{branch}" if branch else head)


def clean_name(value: str | None, limit: int = 500) -> str | None:
    """A name as typed (an owner's, a component's): NFC, spaces collapsed, None when blank;
    InputRejected past ``limit`` characters."""
    text = normalize_space(nfc(value or ""))
    if len(text) > limit:
        raise InputRejected(f"text longer than {limit} characters", code="invalid_request")
    return text or None


@dataclass(frozen=True)
class OwnerFields:
    """An owner as typed at an edge (API body, web form, CLI options, a register row), not yet checked:
    the id type and number go together or not at all; the name may come alone."""

    id_type: str | None = None
    id_number: str | None = None
    name: str | None = None

    def checked(self) -> tuple[OwnerId | None, str | None]:
        """The validated owner id (None when neither type nor number is given) and the cleaned name;
        InputRejected (``owner_id_incomplete``, ``invalid_owner_id_type``, ``invalid_owner_id``) otherwise."""
        given_type, given_number = (self.id_type or "").strip(), (self.id_number or "").strip()
        if not given_type and not given_number:
            return None, clean_name(self.name)
        if not given_type or not given_number:
            raise InputRejected(
                "owner_id_type and owner_id go together: give both or neither",
                code="owner_id_incomplete",
                details={"expected": "owner_id_type (cccd, cmnd, passport, mst) and owner_id"},
            )
        return parse_owner_id(given_type, given_number), clean_name(self.name)

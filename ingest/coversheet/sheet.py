"""What a cover sheet says and where its parts stand: the codes, the QR payload and its checksum,
the page geometry that rendering and the corner-square detection share."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Literal

from sohoa.core.codes import PROCEDURE_CODE_RE, validate_dossier_code
from sohoa.core.errors import InputRejected

PAYLOAD_PREFIX = "SOHOA1"
SheetSource = Literal["qr", "text", "marks"]

# A4 in points; corner squares of 12 mm, 10 mm from the edges.
PAGE_W, PAGE_H = 595.276, 841.89
MARGIN, MARK = 28.35, 34.0
# Centre-to-centre distances of the corner squares: their ratio and size identify a sheet.
MARK_DX = PAGE_W - 2 * MARGIN - MARK
MARK_DY = PAGE_H - 2 * MARGIN - MARK


@dataclass(frozen=True)
class CoverSheet:
    """What a cover sheet said. Codes are None when unreadable; such a sheet always needs review."""

    procedure_code: str | None
    dossier_code: str | None
    source: SheetSource  # "qr", "text" (OCR of the printed codes) or "marks" (only the corner squares)
    needs_review: bool
    checksum_ok: bool = False  # the codes agree with the sheet's checksum

    @property
    def readable(self) -> bool:
        return self.procedure_code is not None and self.dossier_code is not None


@dataclass(frozen=True)
class SheetEntry:
    """One dossier of a register list, for :func:`make_cover_sheets`."""

    procedure_code: str
    dossier_code: str
    title: str | None = None
    applicant: str | None = None


def sheet_checksum(procedure_code: str, dossier_code: str) -> str:
    return f"{zlib.crc32(f'{procedure_code}|{dossier_code}'.encode()) % 100_000_000:08d}"


def sheet_payload(procedure_code: str, dossier_code: str) -> str:
    checksum = sheet_checksum(procedure_code, dossier_code)
    return f"{PAYLOAD_PREFIX}|{procedure_code}|{dossier_code}|{checksum}"


def parse_payload(text: str) -> CoverSheet | None:
    """A sheet from a QR text; a SOHOA1 text that does not check out is a sheet whose codes are unknown."""
    if not text.startswith(PAYLOAD_PREFIX + "|"):
        return None
    parts = text.split("|")
    if len(parts) == 4:
        _, procedure, dossier, checksum = parts
        if (
            PROCEDURE_CODE_RE.match(procedure)
            and valid_dossier(dossier)
            and checksum == sheet_checksum(procedure, dossier)
        ):
            return CoverSheet(procedure, dossier, "qr", needs_review=False, checksum_ok=True)
    return CoverSheet(None, None, "qr", needs_review=True)


def valid_dossier(code: str) -> bool:
    """Whether ``code`` is a dossier code as printed, one a payload can carry (no ``|``)."""
    try:
        return validate_dossier_code(code) == code and "|" not in code
    except InputRejected:
        return False

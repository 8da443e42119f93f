"""Cover sheets (phiếu bìa hồ sơ): a printed page on top of each dossier so one scanned stack files itself.

A sheet carries its codes three ways, so a damaged sheet still stops a dossier from being filed
under the wrong codes:

- a QR code with ``SOHOA1|<procedure>|<dossier>|<checksum>`` (checksum: CRC-32 of the codes as
  eight decimal digits, which OCR reads more reliably than hex);
- the same codes in large printed text, readable by tesseract ``vie`` and extractable from the PDF
  (DejaVu fonts, subset and embedded with a ToUnicode map);
- four solid squares near the corners, which mark the page as a sheet when neither can be read.

Reading: :func:`read_cover_sheet` decodes the QR with zxing-cpp, retrying on enhanced copies of the
page, and falls back to the corner squares; :func:`read_cover_sheet_text` recognises the printed
text in OCR output, accent-insensitive and tolerant of misread characters (the checksum picks the
right reading among look-alikes).

Modules: :mod:`.sheet` (codes, payload, page geometry), :mod:`.fonts` and :mod:`.render` (the
printable PDF), :mod:`.detect` (QR and corner squares in a page image), :mod:`.ocr_text` (the
printed codes in OCR output).
"""

from __future__ import annotations

from sohoa.ingest.coversheet.detect import SheetFinding, find_sheet_marks, inspect_sheet, read_cover_sheet
from sohoa.ingest.coversheet.fonts import FONT_DIR
from sohoa.ingest.coversheet.ocr_text import read_cover_sheet_text
from sohoa.ingest.coversheet.render import make_cover_sheet, make_cover_sheets
from sohoa.ingest.coversheet.sheet import (
    PAYLOAD_PREFIX,
    CoverSheet,
    SheetEntry,
    SheetSource,
    sheet_checksum,
    sheet_payload,
)

__all__ = [
    "FONT_DIR",
    "PAYLOAD_PREFIX",
    "CoverSheet",
    "SheetEntry",
    "SheetFinding",
    "SheetSource",
    "find_sheet_marks",
    "inspect_sheet",
    "make_cover_sheet",
    "make_cover_sheets",
    "read_cover_sheet",
    "read_cover_sheet_text",
    "sheet_checksum",
    "sheet_payload",
]

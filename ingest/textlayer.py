"""Which pages of a PDF already carry real text, so they are kept as they are and not OCRed.

OCRmyPDF's ``--skip-text`` is the reference: a page with text is copied into the output
untouched (its content stream, fonts and text), and only the other pages are OCRed. Three
refinements, because Vietnamese offices send scans that carry a little text of their own:

- text drawn invisibly (render mode 3) is a previous OCR layer, usually an English-only
  scanner's, over a scanned image: the page is read again, as OCRmyPDF's ``--redo-ocr`` would;
- a page that is mostly one picture with a few visible words on it (an e-office signature
  stamp, a page number added digitally) is a scan: its words are not the page's text;
- glyphs that map to no Unicode (no ``ToUnicode``, a broken one) are not text either: a page
  mostly made of them is OCRed (OCRmyPDF treats such "corrupt" text the same way).

pdfium reads the characters (milliseconds per page, no rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from sohoa.core.errors import InputRejected

__all__ = ["PageTextLayer", "read_text_layers", "text_layer_pages"]

_MIN_VISIBLE = 20  # letters and digits drawn visibly before a page counts as typed
_SCAN_COVER = 0.5  # share of the page one image must cover to make it a picture of a page
_STAMPED_SCAN_MAX = 200  # visible letters a scan may carry (a stamp, a page number) and still be a scan
_MAX_UNMAPPED = 0.1  # share of glyphs without Unicode above which the text layer is broken


@dataclass(frozen=True)
class PageTextLayer:
    """What one page's own text is made of (letters and digits only)."""

    index: int  # 0-based
    visible: int  # drawn in any render mode but the invisible one
    invisible: int  # render mode 3: an OCR layer
    unmapped: int  # glyphs with no Unicode value
    image_cover: float  # share of the page the largest image covers, 0..1

    @property
    def is_real(self) -> bool:
        """The page's text is its content: keep the page, read its text layer."""
        if self.visible < _MIN_VISIBLE:
            return False
        if self.unmapped > _MAX_UNMAPPED * (self.visible + self.invisible + self.unmapped):
            return False
        return not (self.image_cover >= _SCAN_COVER and self.visible < _STAMPED_SCAN_MAX)


def _largest_image_cover(page: pdfium.PdfPage) -> float:
    width, height = page.get_size()
    area = max(width * height, 1e-6)
    best = 0.0
    for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = image.get_bounds()
        covered = max(0.0, min(right, width) - max(left, 0.0)) * max(0.0, min(top, height) - max(bottom, 0.0))
        best = max(best, covered / area)
    return min(best, 1.0)


def _read_page(page: pdfium.PdfPage, index: int) -> PageTextLayer:
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        visible = invisible = unmapped = 0
        for number in range(textpage.count_chars()):
            if pdfium_raw.FPDFText_IsGenerated(raw, number) == 1:
                continue  # spaces and line ends pdfium inferred from positions
            if pdfium_raw.FPDFText_HasUnicodeMapError(raw, number) == 1:
                unmapped += 1
                continue
            if not chr(pdfium_raw.FPDFText_GetUnicode(raw, number)).isalnum():
                continue
            obj = pdfium_raw.FPDFText_GetTextObject(raw, number)
            mode = pdfium_raw.FPDFTextObj_GetTextRenderMode(obj) if obj else pdfium_raw.FPDF_TEXTRENDERMODE_FILL
            if mode == pdfium_raw.FPDF_TEXTRENDERMODE_INVISIBLE:
                invisible += 1
            else:
                visible += 1
    finally:
        textpage.close()
    return PageTextLayer(index, visible, invisible, unmapped, _largest_image_cover(page))


def read_text_layers(path: Path) -> tuple[PageTextLayer, ...]:
    """Every page's text layer, in page order."""
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise InputRejected(f"cannot read the PDF: {exc}", code="damaged_pdf") from exc
    try:
        out = []
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                out.append(_read_page(page, index))
            finally:
                page.close()
        return tuple(out)
    finally:
        pdf.close()


def text_layer_pages(path: Path) -> frozenset[int]:
    """0-based pages of the PDF at ``path`` whose own text is kept instead of OCR."""
    return frozenset(layer.index for layer in read_text_layers(path) if layer.is_real)

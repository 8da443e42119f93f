"""A second look at a signature block the first reading found no name in: only the darkest ink.

An agency's seal is stamped over the signer's title and name (Nghị định 30, Phụ lục I). In a
grey scan its red ring turns mid-grey, and tesseract's page layout then drops the printed lines
under it altogether. Printed text is the darkest ink on the page and the seal is lighter: a copy
of the last page keeping only ink within a fixed step of the page's darkest reads the name again
(on drawn grey scans with seals: the name came back on every page tried).

``dark_ink_page`` makes that copy from the searchable PDF the OCR stage wrote and reads it with
the same OCR engine; ``signer_from_page`` takes the signature block from it. The pipeline's extract
stage and ``sohoa extract`` both call it, through ``file_document``, only when no name was found.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.metadata.correct import correct_name
from sohoa.ingest.metadata.lines import _collect_lines
from sohoa.ingest.metadata.signature import _find_signature

__all__ = ["INK_STEP", "dark_ink_page", "signer_from_page"]

INK_STEP = 55  # grey levels above the page's darkest ink still counted as printed text


def dark_ink_image(image: Image.Image) -> Image.Image:
    """Black where the page is within ``INK_STEP`` of its darkest ink, white elsewhere."""
    grey = np.asarray(image.convert("L"))
    ink = float(np.percentile(grey, 0.5))
    return Image.fromarray(np.where(grey > ink + INK_STEP, 255, 0).astype(np.uint8), "L")


def dark_ink_page(pdf: Path, page_index: int, work: Path, *, engine: object, languages: str) -> PageText | None:
    """Page ``page_index`` of the searchable ``pdf``, darkest ink only, read by ``engine``."""
    from sohoa.ingest.pages import iter_page_images

    work.mkdir(parents=True, exist_ok=True)
    for index, image, dpi in iter_page_images(pdf, FileKind.PDF, pages=[page_index]):
        path = work / f"dark-ink-{index:05d}.png"
        dark = dark_ink_image(image)
        dark.save(path, dpi=(dpi, dpi))
        page = PageImage(index=index, path=path, dpi=dpi, width_px=dark.width, height_px=dark.height)
        text: PageText = engine.ocr_page(page, work, languages=languages)  # type: ignore[attr-defined]
        path.unlink(missing_ok=True)
        return text
    return None


def signer_from_page(page: PageText, *, ocr: bool = True) -> tuple[str | None, tuple[str, ...], float]:
    """The signer's name, authority lines and the name's confidence read from ``page`` alone."""
    lines = _collect_lines([page])
    if not lines:
        return None, (), 0.0
    found = _find_signature(lines, 0)
    if not found.name:
        return None, found.authority, 0.0
    name = correct_name(found.name) if ocr else found.name
    # a second reading of a page the first could not read: a person should see it unless sure
    return name, found.authority, 0.85 * found.conf_name

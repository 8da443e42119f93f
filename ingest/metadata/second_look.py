"""A second look at a signature block the first reading found no name in: only the darkest ink.

An agency's seal is stamped over the signer's title and name (Nghị định 30, Phụ lục I). In a
grey scan its red ring turns mid-grey, and tesseract's page layout then drops the printed lines
under it altogether. Printed text is the darkest ink on the page and the seal is lighter: a copy
of the last page keeping only ink within a fixed step of the page's darkest reads the name again
(on drawn grey scans with seals: the name came back on every page tried).

``dark_ink_signature`` makes that copy of the last page as the OCR stage read it (kept lossless), or
else of the searchable PDF the OCR stage wrote, reads it with the same OCR engine and takes the
signature block from it. The pipeline's extract stage and ``sohoa extract`` both call it, through
``file_document``, only when no name was found or the one found is in doubt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.metadata.correct import read_name
from sohoa.ingest.metadata.lines import _collect_lines
from sohoa.ingest.metadata.signature import Signature, _find_signature

__all__ = ["INK_STEP", "dark_ink_signature", "ink_level", "signature_of"]

INK_STEP = 55  # grey levels above the page's darkest ink still counted as printed text
# the signature column alone is read with a tighter step first: in a 150-200 dpi grey scan, and
# more so once re-encoded as JPEG, the seal's ring breaks into specks that reach within 55 levels of
# the print and glue onto the name's first letters (on drawn grey scans: more names read whole)
TIGHT_STEP = 40
SIGNATURE_COLUMN = 0.45  # where the signature column starts, as a share of the page's width


def ink_level(grey: Image.Image) -> float:
    """How dark the print is: the darkest tenth of the page's inked pixels.

    Not a share of the whole page: a last page holding only the signature block has so little ink
    that its darkest 0.5 % reaches into the seal's ring (a drawn 200-dpi page: 95 where the print
    is below 20), and the ring then survives the threshold over the name it covers."""
    pixels = np.asarray(grey)
    paper = float(np.median(pixels))
    ink = pixels[pixels < 0.75 * paper]
    return float(np.percentile(ink, 10)) if ink.size else float(np.percentile(pixels, 0.5))


def dark_ink_signature(
    page_index: int,
    last_index: int,
    kept: Callable[[str], Path | None],
    work: Path,
    *,
    engine: object,
    languages: str,
) -> Signature | None:
    """The signature block of page ``page_index`` read again by ``engine``, darkest ink only; None
    when the OCR stage kept no image of the page.

    ``kept(name)`` is the OCR stage's file ``name`` on disk, or None. The page is the last page as
    the OCR stage read it (``LAST_PAGE_NAME``, lossless) when ``page_index`` is the last one,
    ``last_index``, and it was kept; else page ``page_index`` of the searchable PDF (``ocr.pdf``),
    whose images were re-encoded.

    First the signature column alone, at the tighter step, read as one block of text (the page's
    layout analysis drops lines among a seal's specks); when no plausible name comes out of it, the
    whole page at the usual step."""
    from sohoa.ingest.ocr import LAST_PAGE_NAME
    from sohoa.ingest.pages import iter_page_images
    from sohoa.ingest.review_rules import plausible_name

    last_page = kept(LAST_PAGE_NAME) if page_index == last_index else None
    if last_page is not None:
        images = iter_page_images(last_page, FileKind.PNG)
    elif (pdf := kept("ocr.pdf")) is not None:
        images = iter_page_images(pdf, FileKind.PDF, pages=[page_index])
    else:
        return None
    work.mkdir(parents=True, exist_ok=True)
    engine = _tesseract(engine, choices=True)
    for _, image, dpi in images:
        grey = image.convert("L")
        darkest = ink_level(grey)
        left = round(grey.width * SIGNATURE_COLUMN)
        column = _threshold(grey.crop((left, 0, grey.width, grey.height)), darkest, TIGHT_STEP)
        # one uniform block (``--psm 6``): no layout analysis to drop the lines among the specks
        found = signature_of(_read(column, page_index, dpi, work, _tesseract(engine, psm=6), languages))
        if found.name and plausible_name(read_name(found.name, ocr=True)[0]):
            return found
        return signature_of(_read(_threshold(grey, darkest, INK_STEP), page_index, dpi, work, engine, languages))
    return None


def signature_of(page: PageText) -> Signature:
    """The signature block read from ``page`` alone (a second reading of one page)."""
    return _find_signature(_collect_lines([page]), 0)


def _threshold(grey: Image.Image, darkest: float, step: int) -> Image.Image:
    pixels = np.asarray(grey)
    return Image.fromarray(np.where(pixels > darkest + step, 255, 0).astype(np.uint8), "L")


def _read(dark: Image.Image, index: int, dpi: float, work: Path, engine: object, languages: str) -> PageText:
    path = work / f"dark-ink-{index:05d}.png"
    dark.save(path, dpi=(dpi, dpi))
    page = PageImage(index=index, path=path, dpi=dpi, width_px=dark.width, height_px=dark.height)
    text: PageText = engine.ocr_page(page, work, languages=languages)  # type: ignore[attr-defined]
    path.unlink(missing_ok=True)
    return text


def _tesseract(engine: object, **options: Any) -> object:
    """Tesseract with ``options``; another engine as it is.

    Every second look weighs each word's marks against the LSTM's other choices (``choices``): a
    name read under a seal or at 150 dpi with a mark nearly read otherwise (``Vịnh`` for ``Vinh``)
    is in doubt and goes to a person rather than into the archive."""
    from sohoa.ingest.ocr_engines import TesseractEngine

    return replace(engine, **options) if isinstance(engine, TesseractEngine) else engine

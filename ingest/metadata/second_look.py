"""A second look at a signature block the first reading found no name in: only the darkest ink.

An agency's seal is stamped over the signer's title and name (Nghị định 30, Phụ lục I). In a
grey scan its red ring turns mid-grey, and tesseract's page layout then drops the printed lines
under it altogether. Printed text is the darkest ink on the page and the seal is lighter: a copy
of the last page keeping only ink within a fixed step of the page's darkest reads the name again
(on drawn grey scans with seals: the name came back on every page tried).

``dark_ink_page`` makes that copy from the searchable PDF the OCR stage wrote and reads it with
the same OCR engine; ``signer_from_page`` takes the signature block from it. The pipeline's extract
stage and ``sohoa extract`` both call it, through ``file_document``, only when no name was found or
the one found is in doubt.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.metadata import UNKNOWN_SURNAME
from sohoa.ingest.metadata.correct import correct_name, known_surname
from sohoa.ingest.metadata.lines import _collect_lines
from sohoa.ingest.metadata.signature import _find_signature

__all__ = ["INK_STEP", "dark_ink_image", "dark_ink_page", "ink_level", "signer_from_page"]

INK_STEP = 55  # grey levels above the page's darkest ink still counted as printed text
# the signature column alone is read with a tighter step first: in a 150-200 dpi grey scan, and
# more so once re-encoded as JPEG, the seal's ring breaks into specks that reach within 55 levels of
# the print and glue onto the name's first letters (on drawn grey scans: more names read whole)
TIGHT_STEP = 40
SIGNATURE_COLUMN = 0.45  # where the signature column starts, as a share of the page's width


def dark_ink_image(image: Image.Image, step: int = INK_STEP) -> Image.Image:
    """Black where the page is within ``step`` of its darkest ink, white elsewhere."""
    grey = image.convert("L")
    return _threshold(grey, ink_level(grey), step)


def ink_level(grey: Image.Image) -> float:
    """How dark the print is: the darkest tenth of the page's inked pixels.

    Not a share of the whole page: a last page holding only the signature block has so little ink
    that its darkest 0.5 % reaches into the seal's ring (a drawn 200-dpi page: 95 where the print
    is below 20), and the ring then survives the threshold over the name it covers."""
    pixels = np.asarray(grey)
    paper = float(np.median(pixels))
    ink = pixels[pixels < 0.75 * paper]
    return float(np.percentile(ink, 10)) if ink.size else float(np.percentile(pixels, 0.5))


def dark_ink_page(source: Path, page_index: int, work: Path, *, engine: object, languages: str) -> PageText | None:
    """Page ``page_index`` of the searchable PDF ``source``, darkest ink only, read by ``engine``;
    or, when ``source`` is a PNG, that page as the OCR stage read it (``OcrOutput.last_page_image``).

    First the signature column alone, at the tighter step, read as one block of text (the page's
    layout analysis drops lines among a seal's specks); when no plausible name comes out of it, the
    whole page at the usual step."""
    from sohoa.ingest.pages import iter_page_images
    from sohoa.ingest.review_rules import plausible_name

    work.mkdir(parents=True, exist_ok=True)
    engine = _doubting(engine)
    image_file = source.suffix.lower() == ".png"
    kind, pages = (FileKind.PNG, [0]) if image_file else (FileKind.PDF, [page_index])
    for _, image, dpi in iter_page_images(source, kind, pages=pages):
        index = page_index
        grey = image.convert("L")
        darkest = ink_level(grey)
        left = round(grey.width * SIGNATURE_COLUMN)
        column = _read(_threshold(grey.crop((left, 0, grey.width, grey.height)), darkest, TIGHT_STEP),
                       index, dpi, work, _one_block(engine), languages)  # fmt: skip
        column = _shifted(column, left)
        name = signer_from_page(column)[0]
        if name and plausible_name(name):
            return column
        return _read(_threshold(grey, darkest, INK_STEP), index, dpi, work, engine, languages)
    return None


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


def _one_block(engine: object) -> object:
    """Tesseract reading one uniform block (``--psm 6``); another engine as it is."""
    from sohoa.ingest.ocr_engines import TesseractEngine

    return replace(engine, psm=6) if isinstance(engine, TesseractEngine) else engine


def _doubting(engine: object) -> object:
    """Tesseract weighing each word's marks against the LSTM's other choices: a name read under a
    seal or at 150 dpi with a mark nearly read otherwise (``Vịnh`` for ``Vinh``) is in doubt and goes to
    a person rather than into the archive; another engine as it is."""
    from sohoa.ingest.ocr_engines import TesseractEngine

    return replace(engine, choices=True) if isinstance(engine, TesseractEngine) else engine


def _shifted(text: PageText, dx: int) -> PageText:
    """Word boxes of a crop ``dx`` pixels from the page's left edge, in page pixels."""
    return replace(text, words=tuple(replace(w, left=w.left + dx) for w in text.words))


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
    doubt = UNKNOWN_SURNAME if ocr and not known_surname(name) else 1.0
    return name, found.authority, 0.85 * found.conf_name * doubt

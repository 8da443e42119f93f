"""Pages of an input file as image files, one at a time (never a whole document in memory).

PDF pages are rendered with pdfium at 300 dpi, or at the resolution of the page's single
scanned image so no pixel is invented or lost; TIFF frames, PNG and JPEG are read as they
are. Very low resolutions are upsampled so tesseract sees at least ``min_dpi``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image, ImageOps

from sohoa.core.domain import FileKind, PageImage
from sohoa.core.errors import InputRejected

__all__ = [
    "RENDER_DPI",
    "SourceHints",
    "infer_dpi",
    "iter_page_images",
    "page_count",
    "render_pages",
    "save_page_image",
    "scanned_jpeg",
    "source_hints",
]

RENDER_DPI = 300
_MAX_RENDER_DPI = 600
_MAX_PAGE_PIXELS = 40_000_000  # A3 at 400 dpi; larger pages are rendered at a lower dpi
# Paper sizes (long side, short side) in inches that scans without a resolution tag are assumed to be.
_PAPER_INCHES = ((11.69, 8.27), (11.0, 8.5), (14.0, 8.5), (8.27, 5.83), (16.54, 11.69))
_ASSUMED_DPI = 300.0


def infer_dpi(width_px: int, height_px: int) -> float:
    """Resolution of an untagged scan: the paper size whose shape it has, else 300 dpi."""
    long_px, short_px = max(width_px, height_px), min(width_px, height_px)
    ratio = long_px / max(1, short_px)
    best = min(_PAPER_INCHES, key=lambda paper: abs(paper[0] / paper[1] - ratio))
    if abs(best[0] / best[1] - ratio) > 0.04 * ratio:
        return _ASSUMED_DPI
    dpi = long_px / best[0]
    # A tiny page-shaped image is more likely a crop than a 40-dpi page.
    return dpi if dpi >= 60 else _ASSUMED_DPI


def _image_dpi(img: Image.Image) -> float | None:
    dpi = img.info.get("dpi")
    if not dpi:
        return None
    try:
        x = float(dpi[0])
    except (TypeError, ValueError, IndexError):
        return None
    # Pillow reports 1 or 72 for files whose resolution tag is a placeholder.
    return x if x > 72.5 else None


def save_page_image(img: Image.Image, path_stem: Path, dpi: float) -> Path:
    """Write a page image quickly in a form tesseract and Pillow both read.

    Uncompressed PNM costs almost nothing to write and read; bilevel pages are small as PBM.
    """
    if img.mode not in ("1", "L", "RGB"):
        img = _to_l_or_rgb(img)
    path = path_stem.with_suffix({"1": ".pbm", "L": ".pgm", "RGB": ".ppm"}[img.mode])
    img.save(path, dpi=(dpi, dpi))
    return path


def _to_l_or_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("LA", "La", "I", "I;16", "I;16B", "I;16L", "F"):
        return img.convert("L")
    if img.mode in ("RGBA", "PA", "RGBa") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas of a scan are paper: flatten onto white.
        rgba = img.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return img.convert("RGB")


def _upsample(img: Image.Image, dpi: float, min_dpi: int) -> tuple[Image.Image, float]:
    if dpi >= min_dpi:
        return img, dpi
    scale = min_dpi / dpi
    if img.mode not in ("L", "RGB"):
        img = _to_l_or_rgb(img)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.LANCZOS)
    return img, float(min_dpi)


def _normalized(img: Image.Image) -> Image.Image:
    return img if img.mode in ("1", "L", "RGB") else _to_l_or_rgb(img)


def _raster_dpi(img: Image.Image) -> float:
    return _image_dpi(img) or infer_dpi(img.width, img.height)


def _scanned_image(page: pdfium.PdfPage, *, decode: bool = True) -> tuple[Image.Image | None, float] | None:
    """The pixels and dpi of a page that is exactly one upright image covering it, else None.

    Taking the image itself (not a rendering) keeps every pixel as scanned: no resampling,
    no smoothing of bilevel scans into grey.
    """
    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=2))
    if len(objects) != 1 or objects[0].type != pdfium_raw.FPDF_PAGEOBJ_IMAGE:
        return None
    image = objects[0]
    matrix = image.get_matrix()
    width_pt, height_pt = page.get_size()
    if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
        return None
    # Covers the page (to a point): the image is the page.
    if abs(matrix.e) > 1 or abs(matrix.f) > 1 or abs(matrix.a - width_pt) > 1 or abs(matrix.d - height_pt) > 1:
        return None
    meta = image.get_metadata()
    if meta.width <= 0 or meta.height <= 0 or meta.width * meta.height > _MAX_PAGE_PIXELS:
        return None
    if meta.width * 72.0 / width_pt > _MAX_RENDER_DPI:
        return None
    if not decode:
        return None, meta.width * 72.0 / width_pt
    img = image.get_bitmap(render=False).to_pil()
    if img.size != (meta.width, meta.height):
        return None
    if meta.bits_per_pixel == 1 and img.mode == "L":
        img = img.point(lambda v: 255 if v >= 128 else 0, "1")
    elif img.mode not in ("1", "L", "RGB"):
        img = img.convert("RGB")
    return img, meta.width * 72.0 / width_pt


def scanned_jpeg(path: Path, index: int) -> bytes | None:
    """The JPEG bytes of a PDF page that is exactly one upright JPEG image covering it.

    Embedding them again, rather than decoding and re-encoding, keeps the scan as it was
    and the output no larger than the input.
    """
    pdf = pdfium.PdfDocument(str(path))
    try:
        page = pdf[index]
        try:
            if _scanned_image(page, decode=False) is None:
                return None
            image = next(iter(page.get_objects(max_depth=2)))
            if image.get_filters() != ["DCTDecode"]:
                return None
            data = bytes(image.get_data(decode_simple=False))
        finally:
            page.close()
    finally:
        pdf.close()
    return data if data[:2] == b"\xff\xd8" else None


def _single_image_dpi(page: pdfium.PdfPage) -> tuple[float, bool] | None:
    """(dpi, grey) of a page whose one image covers most of it, else None."""
    images = list(page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=2))
    if len(images) != 1:
        return None
    width_pt, height_pt = page.get_size()
    left, bottom, right, top = images[0].get_bounds()
    if (right - left) * (top - bottom) < 0.8 * width_pt * height_pt:
        return None
    meta = images[0].get_metadata()
    if meta.width <= 0 or meta.horizontal_dpi <= 0:
        return None
    # Bounds are axis-aligned: the larger pixel side belongs to the larger drawn side.
    dpi = max(meta.width, meta.height) / (max(right - left, top - bottom) / 72.0)
    grey = meta.bits_per_pixel <= 8 and meta.colorspace in (
        pdfium_raw.FPDF_COLORSPACE_DEVICEGRAY,
        pdfium_raw.FPDF_COLORSPACE_CALGRAY,
    )
    return dpi, grey or meta.bits_per_pixel == 1


def _pdf_page_image(page: pdfium.PdfPage, min_dpi: int) -> tuple[Image.Image, float]:
    scanned = _scanned_image(page)
    if scanned is not None and scanned[0] is not None:
        return _upsample(scanned[0], scanned[1], min_dpi)
    found = _single_image_dpi(page)
    dpi, grey = (float(RENDER_DPI), False) if found is None else found
    # A whole dpi, within bounds: very high resolutions cost OCR time and gain nothing,
    # and a poster-sized page must not become a gigapixel bitmap.
    width_in, height_in = (side / 72.0 for side in page.get_size())
    fits = math.sqrt(_MAX_PAGE_PIXELS / max(width_in * height_in, 1e-6))
    dpi = float(max(1, round(min(max(dpi, float(min_dpi)), float(_MAX_RENDER_DPI), fits))))
    img = page.render(scale=dpi / 72.0, grayscale=grey).to_pil()
    return (img if img.mode in ("L", "RGB") else img.convert("RGB")), dpi


def iter_page_images(
    path: Path, kind: FileKind, *, pages: Sequence[int] | None = None, min_dpi: int = 200
) -> Iterator[tuple[int, Image.Image, float]]:
    """(index, image in mode 1/L/RGB, dpi) of each requested page, one at a time, in memory."""
    if kind is FileKind.PDF:
        pdf = pdfium.PdfDocument(str(path))
        try:
            for index in pages if pages is not None else range(len(pdf)):
                if not 0 <= index < len(pdf):
                    raise InputRejected(f"no page {index + 1} in {path.name}", code="page_out_of_range")
                page = pdf[index]
                try:
                    img, dpi = _pdf_page_image(page, min_dpi)
                finally:
                    page.close()
                yield index, img, dpi
        finally:
            pdf.close()
    elif kind in (FileKind.PNG, FileKind.JPEG, FileKind.TIFF):
        with Image.open(path) as source:
            frames = getattr(source, "n_frames", 1)
            for index in pages if pages is not None else range(frames):
                if not 0 <= index < frames:
                    raise InputRejected(f"no page {index + 1} in {path.name}", code="page_out_of_range")
                source.seek(index)
                dpi = _raster_dpi(source)
                img, dpi = _upsample(_normalized(ImageOps.exif_transpose(source)), dpi, min_dpi)
                yield index, img, dpi
    else:
        raise InputRejected(f"cannot render pages of a {kind.value} file", code="unsupported_type")


def render_pages(
    path: Path,
    kind: FileKind,
    work_dir: Path,
    *,
    pages: Sequence[int] | None = None,
    min_dpi: int = 200,
) -> Iterator[PageImage]:
    """Yield each requested page (0-based ``pages``, default all) as an image file in ``work_dir``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    for index, img, dpi in iter_page_images(path, kind, pages=pages, min_dpi=min_dpi):
        page_path = save_page_image(img, work_dir / f"page-{index:05d}", dpi)
        yield PageImage(index=index, path=page_path, dpi=dpi, width_px=img.width, height_px=img.height)
        del img


_EXIF_MAKE, _EXIF_MODEL = 271, 272


@dataclass(frozen=True)
class SourceHints:
    """What a page's file says about how it was made."""

    resolution_tagged: bool  # the file states the page's resolution (scanners do; phones write 72 or none)
    camera: bool  # the file carries a camera's make or model
    native_dpi: float | None  # the resolution of the pixels themselves (None: a vector page)


def source_hints(path: Path, kind: FileKind, index: int) -> SourceHints:
    """How one page of a file was made, read from the file (no pixels are decoded)."""
    if kind is FileKind.PDF:
        pdf = pdfium.PdfDocument(str(path))
        try:
            page = pdf[index]
            try:
                scanned = _scanned_image(page, decode=False)
                found = _single_image_dpi(page) if scanned is None else (scanned[1], False)
            finally:
                page.close()
        finally:
            pdf.close()
        # A PDF page's size fixes its resolution.
        return SourceHints(resolution_tagged=True, camera=False, native_dpi=None if found is None else found[0])
    with Image.open(path) as source:
        if index:
            source.seek(index)
        exif = source.getexif()
        tagged = _image_dpi(source) is not None
        return SourceHints(
            resolution_tagged=tagged,
            camera=bool(exif.get(_EXIF_MAKE) or exif.get(_EXIF_MODEL)),
            native_dpi=_raster_dpi(source),
        )


def page_count(path: Path, kind: FileKind) -> int:
    if kind is FileKind.PDF:
        pdf = pdfium.PdfDocument(str(path))
        try:
            return len(pdf)
        finally:
            pdf.close()
    with Image.open(path) as img:
        return int(getattr(img, "n_frames", 1))

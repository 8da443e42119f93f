"""Reading a page image: the sheet's QR code, else its corner squares."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import zxingcpp
from PIL import Image, ImageFilter, ImageOps

from sohoa.ingest.coversheet.sheet import MARK, MARK_DX, MARK_DY, CoverSheet, parse_payload


@dataclass(frozen=True)
class SheetFinding:
    """What one page image shows of a cover sheet, before any OCR."""

    sheet: CoverSheet | None  # from the QR code (or from the corner squares alone)
    marks: Literal[0, 90] | None  # corner squares found: 0 long side vertical, 90 horizontal
    unread_symbol: bool  # a QR-like symbol that would not decode


_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_DETECT_LONG_SIDE = 1800  # ~150 dpi on A4: QR modules of ~10 px, fast to decode
_MARKS_LONG_SIDE = 420


def _grey(image: Image.Image, long_side: int) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    grey = image if image.mode == "L" else image.convert("L")
    factor = max(grey.size) // long_side
    return grey.reduce(factor) if factor >= 2 else grey


def _otsu_level(hist: Sequence[int]) -> int:
    total = sum(hist)
    if total == 0:
        return 127
    weighted = sum(i * h for i, h in enumerate(hist))
    best, level, below, below_sum = -1.0, 127, 0, 0.0
    for i, count in enumerate(hist[:255]):
        below += count
        below_sum += i * count
        above = total - below
        if below == 0 or above == 0:
            continue
        between = below * above * (below_sum / below - (weighted - below_sum) / above) ** 2
        if between > best:
            best, level = between, i
    return level


def _binarized(grey: Image.Image) -> Image.Image:
    level = _otsu_level(grey.histogram())
    return grey.point(lambda v: 255 if v > level else 0)


def _qr_attempts(grey: Image.Image) -> Iterator[tuple[Image.Image, zxingcpp.Binarizer]]:
    """The page as scanned, then copies that help faded, grey, noisy or oversized scans."""
    yield grey, zxingcpp.Binarizer.LocalAverage
    stretched = ImageOps.autocontrast(grey, cutoff=1)
    yield stretched, zxingcpp.Binarizer.GlobalHistogram
    yield _binarized(stretched.filter(ImageFilter.BoxBlur(1))), zxingcpp.Binarizer.LocalAverage
    smaller = stretched.reduce(2)  # averaging 2x2 pixels also smooths scanner noise
    yield smaller, zxingcpp.Binarizer.LocalAverage
    yield _binarized(smaller), zxingcpp.Binarizer.GlobalHistogram


def _read_qr(grey: Image.Image) -> tuple[CoverSheet | None, bool]:
    """The sheet a QR code names, and whether some QR-like symbol would not decode."""
    seen, damaged = False, None
    for attempt, binarizer in _qr_attempts(grey):
        for found in zxingcpp.read_barcodes(attempt, formats=_QR, binarizer=binarizer, return_errors=True):
            if not found.valid:
                seen = True
                continue
            sheet = parse_payload(found.text)
            if sheet is not None and sheet.readable:
                return sheet, seen
            damaged = damaged or sheet
    return damaged, seen


def _components(ink: Image.Image) -> Iterator[tuple[int, int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1, pixels) of 4-connected ink regions (ink = 255)."""
    width, height = ink.size
    data = bytearray(ink.tobytes())
    pos = data.find(255)
    while pos != -1:
        stack, count = [pos], 0
        data[pos] = 0
        x0 = x1 = pos % width
        y0 = y1 = pos // width
        while stack:
            p = stack.pop()
            count += 1
            x, y = p % width, p // width
            x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
            for q, inside in ((p - 1, x > 0), (p + 1, x < width - 1), (p - width, y > 0), (p + width, y < height - 1)):
                if inside and data[q]:
                    data[q] = 0
                    stack.append(q)
        yield x0, y0, x1 + 1, y1 + 1, count
        pos = data.find(255, pos + 1)


def find_sheet_marks(image: Image.Image) -> Literal[0, 90] | None:
    """Whether the page shows a sheet's corner squares; 90 when the sheet lies on its side.

    Three of the four squares are enough: they form a right angle whose legs have the ratio of
    the sheet's, whatever the scan's rotation, scale or margins.
    """
    grey = _grey(image, _MARKS_LONG_SIDE)
    scale = _MARKS_LONG_SIDE / max(grey.size)
    if scale < 1:
        grey = grey.resize(
            (max(1, round(grey.width * scale)), max(1, round(grey.height * scale))), Image.Resampling.BOX
        )
    grey = ImageOps.autocontrast(grey, cutoff=0.5)
    level = _otsu_level(grey.histogram())
    # Eroding the ink by 2 px wipes out text strokes and noise; a 12 mm square keeps its core.
    ink = grey.point(lambda v: 255 if v <= level else 0).filter(ImageFilter.MinFilter(5))
    squares: list[tuple[float, float, float]] = []
    for x0, y0, x1, y1, count in _components(ink):
        w, h = x1 - x0, y1 - y0
        if w >= 3 and h >= 3 and 0.7 <= w / h <= 1.43 and count >= 0.6 * w * h and max(w, h) < max(ink.size) / 8:
            squares.append(((x0 + x1) / 2, (y0 + y1) / 2, (w + h) / 2 + 4))
        if len(squares) > 60:
            break
    return _mark_geometry(squares)


def _mark_geometry(squares: list[tuple[float, float, float]]) -> Literal[0, 90] | None:
    expected_ratio, expected_size = MARK_DY / MARK_DX, MARK / MARK_DX
    for vertex in squares:
        for a, b in itertools.combinations([s for s in squares if s is not vertex], 2):
            v1 = (a[0] - vertex[0], a[1] - vertex[1])
            v2 = (b[0] - vertex[0], b[1] - vertex[1])
            l1, l2 = (v1[0] ** 2 + v1[1] ** 2) ** 0.5, (v2[0] ** 2 + v2[1] ** 2) ** 0.5
            if min(l1, l2) < 1:
                continue
            if abs(v1[0] * v2[0] + v1[1] * v2[1]) / (l1 * l2) > 0.08:
                continue
            long_leg, short = (v1, l2) if l1 >= l2 else (v2, l1)
            if abs(max(l1, l2) / short - expected_ratio) > 0.06 * expected_ratio:
                continue
            sizes = (vertex[2], a[2], b[2])
            if max(sizes) > 1.5 * min(sizes) or not 0.6 < (sum(sizes) / 3 / short) / expected_size < 1.5:
                continue
            return 0 if abs(long_leg[1]) >= abs(long_leg[0]) else 90
    return None


def inspect_sheet(image: Image.Image) -> SheetFinding:
    """Look for a cover sheet on a page image: its QR code first, then its corner squares."""
    grey = _grey(image, _DETECT_LONG_SIDE)
    sheet, seen = _read_qr(grey)
    if sheet is not None and sheet.readable:
        return SheetFinding(sheet, None, seen)
    marks = find_sheet_marks(grey)
    if sheet is None and marks is not None:
        sheet = CoverSheet(None, None, "marks", needs_review=True)
    return SheetFinding(sheet, marks, seen)


def read_cover_sheet(image: Image.Image) -> CoverSheet | None:
    """The cover sheet on a page image, or None when the page is not one.

    A sheet recognised only by its corner squares comes back with codes None and
    ``needs_review``: its dossier goes to review rather than under the wrong codes.
    """
    return inspect_sheet(image).sheet

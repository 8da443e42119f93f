"""Where the copy stamp goes on page 1: the empty space nearest the top right corner, found from the
ink of the page as the reader sees it.

Nghị định 30/2020 (Phụ lục I, Phần II, Mục I, khoản 3) puts the copying agency's signature at the top
right of the first page (box 14 of its layout, above the national motto) without saying what to do
when a scan has something printed there. Covering printed content would hide part of the record, so
the page is rendered (pdfium, 144 dpi, as displayed: crop box and /Rotate applied), its ink found
relative to the paper's own brightness (a grey scan is not all ink), specks removed, and the stamp
put where no ink is within a small clearance: as near the usual place as possible, moving up into the
top margin before moving down or left. The caller tries the top margin first, shrinking the stamp
when the full size does not fit there, and only then the rest of the top of the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO

import cv2
import numpy as np

__all__ = ["BAND", "SCALE", "InkMap", "Placement", "ink_map", "place"]

log = logging.getLogger(__name__)

SCALE = 2.0  # pixels per point: 144 dpi, where the strokes of 10 pt text are two pixels wide
_CLEARANCE = 3.0  # points kept free of ink around the stamp
_EDGE = 8.0  # points from the page's edges: printers do not print to the edge
_STEP = 2.0  # points between the positions tried
BAND = 0.35  # a stamp that fits in no margin stays in the top part of the page, this share of its height
_INK_BELOW_PAPER = 64  # a pixel this much darker than the paper is ink
_INK_AT_MOST = 170  # and never lighter than this (light grey noise of a white scan is not ink)


@dataclass(frozen=True)
class InkMap:
    """Page 1 as displayed: its size in points and a summed-area table of its ink (already widened by
    the clearance), one cell per pixel at ``SCALE``."""

    width: float
    height: float
    table: np.ndarray  # (rows + 1, columns + 1), int64

    def ink(self, left: float, top: float, right: float, bottom: float) -> int:
        """Ink pixels within the box (points from the displayed top left)."""
        x1, y1 = self._px(left, self.table.shape[1] - 1), self._px(top, self.table.shape[0] - 1)
        x2, y2 = self._px(right, self.table.shape[1] - 1), self._px(bottom, self.table.shape[0] - 1)
        t = self.table
        return int(t[y2, x2] - t[y1, x2] - t[y2, x1] + t[y1, x1])

    @staticmethod
    def _px(points: float, limit: int) -> int:
        return min(max(round(points * SCALE), 0), limit)


@dataclass(frozen=True)
class Placement:
    left: float  # points from the displayed left edge
    top: float  # points from the displayed top edge
    ink: int  # ink pixels under the stamp (0: it covers nothing)


def ink_map(pdf: bytes | BinaryIO) -> InkMap | None:
    """The ink of page 1, or None when pdfium cannot render it (the stamp then goes to its usual place)."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf, autoclose=False)
    except pdfium.PdfiumError as exc:
        log.warning("page 1 could not be rendered to place the stamp: %s", exc)
        return None
    try:
        # as displayed: the crop box, turned by /Rotate
        bitmap = document[0].render(scale=SCALE, grayscale=True, may_draw_forms=False)
        pixels = np.array(bitmap.to_pil().convert("L"), dtype=np.uint8)
    except pdfium.PdfiumError as exc:
        log.warning("page 1 could not be rendered to place the stamp: %s", exc)
        return None
    finally:
        document.close()
    paper = float(np.percentile(pixels, 90))
    threshold = min(paper - _INK_BELOW_PAPER, _INK_AT_MOST)
    ink = (pixels < threshold).astype(np.uint8) * 255
    ink = cv2.medianBlur(ink, 3)  # specks of a scan are not content
    reach = 2 * round(_CLEARANCE * SCALE) + 1
    ink = cv2.dilate(ink, np.ones((reach, reach), np.uint8))
    table = cv2.integral((ink > 0).astype(np.uint8), sdepth=cv2.CV_64F).astype(np.int64)
    return InkMap(pixels.shape[1] / SCALE, pixels.shape[0] / SCALE, table)


def place(ink: InkMap, width: float, height: float, *, right: float, top: float, lowest: float) -> Placement | None:
    """The free position for a ``width`` x ``height`` stamp ending above ``lowest`` nearest the one whose
    right edge is ``right`` and top is ``top`` (points from the displayed left and top); moving down
    counts double, so the stamp rises into the margin before it comes down toward the text. When no
    position is free, the one with the least ink; None when the stamp does not fit above ``lowest``."""
    lefts = _grid(max(_EDGE, ink.width / 2 - width / 2), ink.width - _EDGE - width, right - width)
    tops = _grid(_EDGE, min(lowest, ink.height - _EDGE) - height, top)
    if lefts.size == 0 or tops.size == 0:
        return None
    t = ink.table
    limit_x, limit_y = t.shape[1] - 1, t.shape[0] - 1
    x1 = np.clip(np.round(lefts * SCALE).astype(int), 0, limit_x)
    x2 = np.clip(np.round((lefts + width) * SCALE).astype(int), 0, limit_x)
    y1 = np.clip(np.round(tops * SCALE).astype(int), 0, limit_y)
    y2 = np.clip(np.round((tops + height) * SCALE).astype(int), 0, limit_y)
    covered = t[np.ix_(y2, x2)] - t[np.ix_(y1, x2)] - t[np.ix_(y2, x1)] + t[np.ix_(y1, x1)]
    down = tops - top
    distance = np.where(down > 0, 2 * down, -down)[:, None] + np.abs(lefts + width - right)[None, :]
    # free positions first, then the nearest; among covered ones the least ink, then the nearest
    order = np.lexsort((distance.ravel(), covered.ravel()))
    row, column = divmod(int(order[0]), lefts.size)
    return Placement(float(lefts[column]), float(tops[row]), int(covered[row, column]))


def _grid(low: float, high: float, through: float) -> np.ndarray:
    """Positions ``_STEP`` apart from ``low`` to ``high``, one of them ``through`` (the usual place)."""
    if high < low:
        return np.empty(0)
    start = through - _STEP * np.floor((through - low) / _STEP) if through >= low else low
    return np.arange(start, high + 0.01, _STEP)

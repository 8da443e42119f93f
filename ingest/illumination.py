"""Even light and colour before OCR, and a grey copy in which a red seal does not hide text.

The paper's own brightness is estimated on a small copy (a grey dilation wipes out strokes,
which are thinner than its window; a median then smooths what is left) and each channel is
divided by it: light fall-off, shadow bands and colour cast all go at once, and the paper
becomes white while strokes keep their contrast to it (diacritics are strokes too: they are
darkened and lightened in proportion, never thresholded away).

Red stamp ink is a filter over black text: where the two overlap the pixel is dark in
every channel; where the seal is alone it is bright in red. Grey = luminance plus the
amount by which red exceeds the other channels keeps the text and drops the seal.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

__all__ = ["even_light", "even_pixels", "grey_pixels", "has_uneven_light", "ocr_grey", "paper_background"]

_BACKGROUND_DPI = 25.0  # light varies over inches; a coarse copy is enough and costs little
_DILATE_IN = 0.1  # inches: wider than any stroke, narrower than the gaps between lines
_MEDIAN_IN = 0.3
# Paper brightness varying by more than this share across a scan means uneven light.
_UNEVEN = 0.12
# A paper colour whose channels differ by more than this many levels has a cast.
_CAST = 14.0


def _odd(value: float) -> int:
    return max(3, int(value) | 1)


def _pixels(img: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(img, np.ndarray):
        return img
    return np.asarray(img if img.mode in ("L", "RGB") else img.convert("RGB"))


def paper_background(img: Image.Image | np.ndarray, dpi: float) -> np.ndarray:
    """The paper's brightness on a small copy (about 25 dpi): uint8, channels last."""
    pixels = _pixels(img)
    factor = max(1.0, dpi / _BACKGROUND_DPI)
    small = cv2.resize(
        pixels,
        (max(1, round(pixels.shape[1] / factor)), max(1, round(pixels.shape[0] / factor))),
        interpolation=cv2.INTER_AREA,
    )
    small_dpi = dpi / factor
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(_DILATE_IN * small_dpi),) * 2)
    paper = cv2.medianBlur(cv2.dilate(small, kernel), _odd(_MEDIAN_IN * small_dpi))
    return paper if paper.ndim == 3 else paper[:, :, None]


def has_uneven_light(img: Image.Image | np.ndarray, dpi: float) -> bool:
    """Whether the paper's brightness varies or is tinted enough to be worth evening out."""
    if isinstance(img, Image.Image) and img.mode == "1":
        return False
    paper = paper_background(img, dpi)
    level = paper.mean(axis=2) if paper.shape[2] > 1 else paper[:, :, 0]
    low, high = np.percentile(level, (2, 98))
    if high <= 0 or (high - low) / high > _UNEVEN:
        return True
    if paper.shape[2] == 3:
        colour = np.median(paper[::4, ::4].reshape(-1, 3), axis=0)
        return float(colour.max() - colour.min()) > _CAST
    return False


def even_pixels(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """``pixels`` (grey, or RGB channels last) with the paper made evenly white."""
    paper = np.maximum(paper_background(pixels, dpi), 8)  # on the small copy: cheaper than on the page
    paper = cv2.resize(paper, (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_LINEAR)
    # uint8 throughout (OpenCV saturates): a float copy of a 300-dpi colour page costs more
    # than the rest of the correction together.
    return cv2.divide(pixels, paper.reshape(pixels.shape), scale=255.0)


def even_light(img: Image.Image, dpi: float) -> Image.Image:
    """``img`` with its paper made evenly white (each channel divided by the paper's own level)."""
    source = img if img.mode in ("L", "RGB") else img.convert("RGB")
    return Image.fromarray(even_pixels(np.asarray(source), dpi), source.mode)


def grey_pixels(pixels: np.ndarray) -> np.ndarray:
    """Grey for OCR of grey or RGB pixels: luminance, with red ink (a seal) lifted toward the paper."""
    if pixels.ndim == 2:
        return pixels
    red, green, blue = cv2.split(pixels)
    redness = cv2.subtract(red, cv2.max(green, blue))
    return cv2.add(cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY), redness)


def ocr_grey(img: Image.Image) -> Image.Image:
    """A grey copy for OCR: luminance, with red ink (a seal) lifted toward the paper."""
    if img.mode in ("1", "L"):
        return img.convert("L")
    return Image.fromarray(grey_pixels(np.asarray(img.convert("RGB"))), "L")

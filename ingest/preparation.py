"""A page made ready for OCR: a photo flattened, the light evened, a grey copy for tesseract.

One pass over the page's pixels, in one array: converting a 300-dpi colour page between
Pillow and NumPy costs more than finding, warping and evening it, so it is done once.

- a photo of a page (see :mod:`ingest.photo`): the page, warped flat at 300 dpi and evenly
  lit, becomes the page the archive shows (the photo stays the original);
- a scan stays as it is; tesseract's copy is evened only when its light is uneven;
- tesseract always reads grey with red ink lifted (see :mod:`ingest.illumination`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from sohoa.ingest.illumination import even_pixels, grey_pixels, has_uneven_light
from sohoa.ingest.photo import PHOTO_DPI, PhotoCorrection, find_page, flatten_page, photo_status

__all__ = ["PreparedPage", "prepare_page"]


@dataclass(frozen=True)
class PreparedPage:
    image: Image.Image  # what the archive shows: the scan as it is, or the flattened photo page
    grey: Image.Image  # what tesseract reads: grey, evenly lit, red ink lifted; the size of ``image``
    dpi: float  # of both
    photo: PhotoCorrection


def prepare_page(
    img: Image.Image,
    dpi: float,
    *,
    look_for_photos: bool = True,
    resolution_tagged: bool = True,
    camera: bool = False,
) -> PreparedPage:
    """``img`` (mode 1, L or RGB, at ``dpi``) ready for OCR; see the module's docstring."""
    if img.mode == "1":  # nobody photographs a page into bilevel pixels, and bilevel light is even
        return PreparedPage(img, img.convert("L"), dpi, PhotoCorrection(status="scan"))
    pixels = np.asarray(img if img.mode in ("L", "RGB") else img.convert("RGB"))
    status: str = "scan"
    if look_for_photos:
        quad = find_page(pixels)
        status = photo_status(quad, img.size, resolution_tagged=resolution_tagged, camera=camera)
        if status == "photo" and quad is not None:
            lit = even_pixels(flatten_page(pixels, quad), PHOTO_DPI)
            size = (lit.shape[1], lit.shape[0])
            photo = PhotoCorrection(status="photo", corners=quad.corners, size=size)
            return PreparedPage(Image.fromarray(lit), Image.fromarray(grey_pixels(lit)), PHOTO_DPI, photo)
    # Shadows and fall-off make tesseract's global threshold drop strokes in the dark parts.
    lit = even_pixels(pixels, dpi) if has_uneven_light(pixels, dpi) else pixels
    grey = img if lit is pixels and img.mode == "L" else Image.fromarray(grey_pixels(lit))
    return PreparedPage(img, grey, dpi, PhotoCorrection(status=status))  # type: ignore[arg-type]

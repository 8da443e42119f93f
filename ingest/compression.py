"""Page images encoded for their content: CCITT G4 for bilevel, JPEG for grey and colour.

A page is stored in colour only when it shows colour (a red seal, a blue signature): a
grey scan saved as RGB triples its size for nothing. Bilevel pages go to CCITT G4, where
a 300-dpi text page takes tens of kilobytes instead of megabytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from PIL import Image, ImageChops, TiffImagePlugin

__all__ = [
    "DEFAULT_JPEG_QUALITY",
    "ContentClass",
    "EncodedImage",
    "classify_content",
    "encode_page_image",
    "passthrough_jpeg",
]

DEFAULT_JPEG_QUALITY = 75
ContentClass = Literal["bilevel", "grey", "colour"]

# A pixel whose channels differ by more than this is coloured ink, not JPEG chroma noise.
_CHROMA_INK = 48
# Share of coloured pixels that makes a page a colour page (a small seal covers ~0.5 %).
_COLOUR_SHARE = 0.0008
# Share of mid-tone pixels below which a grey image is really black and white.
_MIDTONE_SHARE = 0.002


@dataclass(frozen=True)
class EncodedImage:
    """An image stream ready to embed in a PDF: raw bytes in ``path`` and their decoding."""

    path: Path
    filter: Literal["DCTDecode", "CCITTFaxDecode"]
    colorspace: Literal["DeviceGray", "DeviceRGB"]
    bits: int
    width: int
    height: int
    black_is_1: bool = False  # CCITT only

    @property
    def content(self) -> ContentClass:
        if self.bits == 1:
            return "bilevel"
        return "grey" if self.colorspace == "DeviceGray" else "colour"


def _is_bilevel_grey(img: Image.Image) -> bool:
    hist = img.histogram()
    midtones = sum(hist[16:240])
    return midtones <= _MIDTONE_SHARE * img.width * img.height


def _is_colour(img: Image.Image) -> bool:
    # A 4x reduction averages away JPEG chroma ringing around black text.
    small = img.reduce(4) if min(img.size) >= 400 else img
    r, g, b = small.split()
    chroma = ImageChops.lighter(
        ImageChops.lighter(ImageChops.difference(r, g), ImageChops.difference(g, b)),
        ImageChops.difference(r, b),
    )
    hist = chroma.histogram()
    return sum(hist[_CHROMA_INK:]) > _COLOUR_SHARE * small.width * small.height


def classify_content(img: Image.Image) -> ContentClass:
    """What a page image shows: bilevel, grey or colour (its mode alone is not enough)."""
    if img.mode == "1":
        return "bilevel"
    if img.mode == "RGB":
        if _is_colour(img):
            return "colour"
        return "bilevel" if _is_bilevel_grey(img.convert("L")) else "grey"
    grey = img if img.mode == "L" else img.convert("L")
    return "bilevel" if _is_bilevel_grey(grey) else "grey"


def _encode_g4(img: Image.Image, path: Path) -> EncodedImage:
    bilevel = img if img.mode == "1" else img.convert("L").point(lambda v: 255 if v >= 128 else 0, "1")
    buf = io.BytesIO()
    # One strip: CCITT strips are coded independently and a PDF image stream holds one.
    bilevel.save(buf, "TIFF", compression="group4", strip_size=2**31 - 1)
    buf.seek(0)
    with TiffImagePlugin.TiffImageFile(buf) as tif:
        offsets, counts = tif.tag_v2[273], tif.tag_v2[279]
        photometric = tif.tag_v2.get(262, 0)
    if len(offsets) != 1:
        raise RuntimeError("Pillow wrote a multi-strip G4 TIFF")
    data = buf.getvalue()[offsets[0] : offsets[0] + counts[0]]
    path.write_bytes(data)
    return EncodedImage(
        path=path,
        filter="CCITTFaxDecode",
        colorspace="DeviceGray",
        bits=1,
        width=bilevel.width,
        height=bilevel.height,
        # Min-is-black data codes black pixels as the fax "white" runs.
        black_is_1=photometric == 1,
    )


def encode_page_image(
    img: Image.Image,
    path_stem: Path,
    *,
    jpeg_quality: int = DEFAULT_JPEG_QUALITY,
    content: ContentClass | None = None,
) -> EncodedImage:
    """Encode ``img`` to ``path_stem`` + .g4/.jpg for its content class."""
    content = content or classify_content(img)
    if content == "bilevel":
        return _encode_g4(img, path_stem.with_suffix(".g4"))
    if content == "grey":
        out = img if img.mode == "L" else img.convert("L")
        colorspace: Literal["DeviceGray", "DeviceRGB"] = "DeviceGray"
    else:
        out = img if img.mode == "RGB" else img.convert("RGB")
        colorspace = "DeviceRGB"
    path = path_stem.with_suffix(".jpg")
    out.save(path, "JPEG", quality=jpeg_quality, subsampling="4:2:0" if colorspace == "DeviceRGB" else 0)
    return EncodedImage(
        path=path, filter="DCTDecode", colorspace=colorspace, bits=8, width=out.width, height=out.height
    )


def passthrough_jpeg(path: Path) -> EncodedImage | None:
    """Describe a baseline/progressive JPEG file to embed as is (no second lossy pass), if possible."""
    with Image.open(path) as img:
        if img.format != "JPEG" or img.mode not in ("L", "RGB"):
            return None
        # Adobe CMYK/YCCK or an EXIF rotation would need decoding anyway.
        if img.getexif().get(0x0112, 1) != 1:
            return None
        return EncodedImage(
            path=path,
            filter="DCTDecode",
            colorspace="DeviceGray" if img.mode == "L" else "DeviceRGB",
            bits=8,
            width=img.width,
            height=img.height,
        )

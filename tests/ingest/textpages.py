"""Pages of Vietnamese text drawn for the OCR and tesseract tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.support.services import need

__all__ = ["draw_page"]

_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")


def draw_page(lines: list[str], *, rotate: int = 0, skew: float = 0.0, size: int = 33) -> Image.Image:
    """A grey 200-dpi page of Vietnamese text, turned ``rotate`` degrees clockwise and skewed."""
    need(_FONT.is_file(), f"font {_FONT}")
    font = ImageFont.truetype(str(_FONT), size)
    img = Image.new("L", (1200, 140 + 72 * len(lines)), 235)
    draw = ImageDraw.Draw(img)
    for number, line in enumerate(lines):
        draw.text((70, 70 + number * 72), line, font=font, fill=20)
    if skew:
        img = img.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=235)
    if rotate:
        img = img.rotate(-rotate, expand=True)
    return img

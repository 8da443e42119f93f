"""Small PDFs and images made in tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["make_text_image", "vietnamese_font"]

_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)


def vietnamese_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in _FONTS:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def make_text_image(path: Path, lines: list[str], *, dpi: int = 200, size: tuple[int, int] = (1654, 1100)) -> Path:
    """A clean white page with the given lines, saved with its DPI."""
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = vietnamese_font(int(dpi * 0.17))
    y = int(dpi * 0.5)
    for line in lines:
        draw.text((int(dpi * 0.6), y), line, fill=0, font=font)
        y += int(dpi * 0.3)
    image.save(path, dpi=(dpi, dpi))
    return path

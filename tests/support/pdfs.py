"""Small PDFs and images made in tests."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

__all__ = ["make_text_image", "vietnamese_font", "with_text_drawn"]

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


def with_text_drawn(signed: Path, out: Path, text: str) -> Path:
    """``signed`` with ``text`` drawn on its first page in an incremental update, as someone changing a
    signed file after the fact would: the signed revision stays intact, the page does not."""
    with signed.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        stream = writer.add_object(generic.StreamObject(stream_data=f"BT /F1 30 Tf 72 400 Td ({text}) Tj ET".encode()))
        writer.add_stream_to_page(0, stream)
        with out.open("wb") as sink:
            writer.write(sink)
    return out

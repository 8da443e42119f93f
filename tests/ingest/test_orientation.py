"""Up from down on a sparse page: a signature block alone on the last page, under a seal and a signature."""

from __future__ import annotations

import random

from PIL import Image, ImageDraw

from sohoa.ingest.orientation import detect_geometry, up_down_ratio
from tests.ingest.labelled.scans import draw_pages, scan_spec


def _signature_pages(count: int) -> list[Image.Image]:
    """Last pages that hold only the signature block: a page number, the authority lines, a red seal
    over them, a signature and the name, beside the recipients; most of their ink is not text."""
    pages = []
    for seed in range(count):
        rng = random.Random(seed)
        spec, look = scan_spec(rng)
        look.update(signature_page=True, seal=True, signature=True)
        pages.append(draw_pages(spec, look, rng)[-1].convert("L"))
    return pages


def test_sparse_signature_pages_are_never_turned_by_their_seal_and_signature() -> None:
    for page in _signature_pages(12):
        upright = detect_geometry(page, 300, use_osd=False)
        assert upright.rotation == 0
        turned = detect_geometry(page.rotate(180), 300, use_osd=False)
        # upside down: turned back, or too little text to be sure (then tesseract's OSD decides)
        assert turned.rotation == 180 or turned.source == "unsure"


def test_a_seal_taller_than_the_text_lines_casts_no_vote() -> None:
    # lines of capitals (ink above their x-height band) and one tall seal whose lower half is
    # heavier than its upper: the seal must not outweigh the lines
    ink = Image.new("L", (800, 600), 0)
    draw = ImageDraw.Draw(ink)
    for top in (40, 100, 160):
        for x in range(100, 700, 40):
            draw.rectangle((x, top, x + 10, top + 6), fill=255)  # ascenders and marks
        draw.rectangle((100, top + 7, 700, top + 20), fill=255)  # the x-height band
    draw.rectangle((200, 300, 600, 320), fill=255)  # the seal's densest rows
    draw.rectangle((380, 321, 420, 520), fill=255)  # and a long lighter tail below them
    assert up_down_ratio(ink) > 1.0

"""The copy stamp covers no printed content: it finds the empty top-right space of page 1, shrinks
when the margin is small, and stays black (Nghị định 30/2020, Phụ lục I, Phần II, Mục I, khoản 3c)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw, ImageFont

from sohoa.core.domain import SignRequest
from sohoa.signing.pades import sign_pdf
from sohoa.signing.stamp import CopyStamp
from sohoa.signing.stamp_space import SCALE, ink_map
from sohoa.signing.verify import verify_pdf

AGENCY = "Sở Văn hóa, Thể thao và Du lịch tỉnh Đồng Nai"
DPI = 150
A4 = (round(210 / 25.4 * DPI), round(297 / 25.4 * DPI))  # pixels
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf"


def _pt(points: float) -> int:
    return round(points * DPI / 72)


def _scan(
    path: Path, blocks: list[tuple[float, float, float, float]], *, paper: int = 255, noise: bool = False
) -> Path:
    """An image-only page (a scan): text lines filling ``blocks`` (left, top, right, bottom in points)."""
    image = Image.new("L", A4, paper)
    if noise:  # a grey, speckled scan: neither its paper nor its specks are content
        rng = np.random.default_rng(7)
        pixels = np.array(image, dtype=np.int16) + rng.normal(0, 6, (A4[1], A4[0])).astype(np.int16)
        specks = rng.random((A4[1], A4[0])) < 0.0005
        pixels[specks] = 40
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, _pt(11))
    for left, top, right, bottom in blocks:
        y = _pt(top)
        while y + _pt(11) <= _pt(bottom):
            draw.text((_pt(left), y), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM " * 3, fill=10, font=font)
            y += _pt(13)
        draw.rectangle((_pt(left), _pt(top), _pt(right), _pt(bottom)), outline=10, width=2)
    image.convert("RGB").save(path, "PDF", resolution=DPI)
    return path


def _render(path: Path) -> np.ndarray:
    document = pdfium.PdfDocument(path)
    try:
        document.init_forms()
        return np.array(document[0].render(scale=SCALE, may_draw_forms=True).to_pil().convert("RGB"))
    finally:
        document.close()


def _sign(dev_backend, source: Path, tmp_path: Path) -> tuple[np.ndarray, np.ndarray, list[float]]:
    out = tmp_path / "signed.pdf"
    sign_pdf(SignRequest(source, out), dev_backend, stamp=CopyStamp(agency_name=AGENCY))
    [sig] = verify_pdf(out, trust_roots=[dev_backend.development_root]).signatures
    assert sig.valid and sig.modification == "none"
    with pikepdf.open(out) as pdf:
        [widget] = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
        rect = [float(v) for v in widget.Rect]
    return _render(source), _render(out), rect


def _stamp_and_page_ink(plain: np.ndarray, signed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    drawn = np.abs(plain.astype(int) - signed.astype(int)).max(axis=2) > 64
    ink = plain.mean(axis=2) < 128
    assert drawn.any(), "no stamp drawn"
    return drawn, ink


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, columns = np.nonzero(mask)
    return int(columns.min()), int(rows.min()), int(columns.max()), int(rows.max())


@pytest.mark.parametrize(
    "blocks",
    [
        [(300, 40, 567, 90)],  # the motto where the stamp usually goes: the stamp rises above it
        [(330, 20, 567, 150)],  # a block from the top edge down: the stamp moves left of it
    ],
    ids=["motto-below-the-margin", "block-at-the-top-right"],
)
def test_the_stamp_covers_no_printed_content(dev_backend, tmp_path: Path, blocks) -> None:
    plain, signed, _ = _sign(dev_backend, _scan(tmp_path / "in.pdf", blocks), tmp_path)
    drawn, ink = _stamp_and_page_ink(plain, signed)
    assert not (drawn & ink).any(), "the stamp is drawn over the page's ink"
    _, _, right, bottom = _box(drawn)
    height, width = drawn.shape
    assert right > width / 2 and bottom < height * 0.35  # still at the top right
    assert _colours(tmp_path / "signed.pdf") == {(0.0, 0.0, 0.0)}  # black, as the rule says


def _colours(signed: Path) -> set[tuple[float, ...]]:
    """Every fill and stroke colour the stamp's appearance sets, as RGB."""
    found: set[tuple[float, ...]] = set()
    with pikepdf.open(signed) as pdf:
        [widget] = [a for a in pdf.pages[0].get("/Annots", []) if a.get("/FT") == "/Sig"]
        streams = [widget.AP.N]
        while streams:
            stream = streams.pop()
            streams.extend(stream.get("/Resources", {}).get("/XObject", {}).values())
            for operands, operator in pikepdf.parse_content_stream(stream):
                if str(operator) not in ("rg", "RG", "g", "G", "k", "K"):
                    continue
                values = [float(v) for v in operands]
                if str(operator) in ("rg", "RG"):
                    found.add(tuple(values))
                elif str(operator) in ("g", "G"):
                    found.add((values[0],) * 3)
                elif str(operator) in ("k", "K"):
                    c, m, y, k = values
                    found.add(tuple((1 - min(1.0, v + k)) for v in (c, m, y)))
    return found


def test_a_narrow_margin_shrinks_the_stamp(dev_backend, tmp_path: Path) -> None:
    # ink from 50 pt down across the whole right half: the margin above holds only a smaller stamp
    blank = _sign(dev_backend, _scan(tmp_path / "blank.pdf", []), tmp_path)[2]
    plain, signed, rect = _sign(dev_backend, _scan(tmp_path / "in.pdf", [(250, 52, 590, 400)]), tmp_path)
    drawn, ink = _stamp_and_page_ink(plain, signed)
    assert not (drawn & ink).any()
    assert rect[3] - rect[1] < blank[3] - blank[1]  # a shorter widget: smaller type
    assert _box(drawn)[3] < 52 * SCALE  # in the margin, above the text


def test_a_grey_speckled_scan_keeps_the_usual_place(dev_backend, tmp_path: Path) -> None:
    clean = _sign(dev_backend, _scan(tmp_path / "clean.pdf", [(60, 200, 540, 700)]), tmp_path)[2]
    grey = _scan(tmp_path / "grey.pdf", [(60, 200, 540, 700)], paper=205, noise=True)
    assert _sign(dev_backend, grey, tmp_path)[2] == clean


def test_ink_is_measured_as_displayed(tmp_path: Path) -> None:
    source = _scan(tmp_path / "in.pdf", [(400, 30, 560, 60)])
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Rotate = 90
        pdf.save(source)
    ink = ink_map(source.read_bytes())
    assert ink is not None
    assert ink.width > ink.height  # a portrait page turned a quarter is shown landscape
    # turned clockwise, the page's top right corner is shown at the bottom right
    assert ink.ink(ink.width - 120, ink.height - 180, ink.width - 20, ink.height - 20) > 0
    assert ink.ink(ink.width - 120, 0, ink.width, 100) == 0

"""Even light and colour before OCR: shadows and fall-off keep every stroke, a red seal hides no text."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageChops, ImageDraw

from sohoa.ingest.illumination import even_light, has_uneven_light, ocr_grey
from sohoa.ingest.orientation import otsu_threshold
from tests.ingest.textpages import draw_page

LINES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Xét đề nghị của Giám đốc Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang,",
    "Điều 1. Ban hành kèm theo Quyết định này nội dung nêu trên.",
    "Người đứng đầu cơ quan chịu trách nhiệm về chất lượng số hóa hồ sơ.",
] * 3


def _ink(img: Image.Image) -> np.ndarray:
    """Ink as tesseract's global threshold sees it (Otsu over the whole page)."""
    grey = img.convert("L")
    return np.asarray(grey) <= otsu_threshold(grey.histogram())


def _marks(ink: np.ndarray) -> int:
    """Connected pieces of ink: every letter body, and every diacritic apart from it."""
    return cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)[0] - 1


def _shaded(img: Image.Image) -> Image.Image:
    """Light falling off to one side and a shadow band across the page."""
    height, width = img.height, img.width
    xs = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    ys = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    light = (1.0 - 0.55 * xs) * (1.0 - 0.4 * ((ys > 0.45) & (ys < 0.7)))
    return Image.fromarray((np.asarray(img, np.float32) * light).astype(np.uint8), "L")


def test_shadows_and_fall_off_lose_no_stroke_and_no_diacritic():
    page = draw_page(LINES)
    shaded = _shaded(page)
    assert has_uneven_light(shaded, 200) and not has_uneven_light(page, 200)
    truth = _ink(page)
    # Without evening, one global threshold turns the shadow into ink: the comparison means something.
    assert (_ink(shaded) != truth).mean() > 0.05
    evened = _ink(even_light(shaded, 200))
    union = (evened | truth).sum()
    assert (evened & truth).sum() / union > 0.9
    assert abs(_marks(evened) - _marks(truth)) <= 0.03 * _marks(truth)


def test_colour_cast_is_removed():
    page = draw_page(LINES).convert("RGB")
    cast = ImageChops.multiply(page, Image.new("RGB", page.size, (255, 225, 180)))
    assert has_uneven_light(cast, 200)
    paper = np.median(np.asarray(even_light(cast, 200)).reshape(-1, 3), axis=0)
    assert paper.max() - paper.min() <= 3 and paper.min() >= 245


def test_red_seal_over_text_is_dropped_and_the_text_kept():
    page = draw_page(LINES[:2]).convert("RGB")
    seal = Image.new("RGB", page.size, (255, 255, 255))
    draw = ImageDraw.Draw(seal)
    draw.ellipse((40, 20, 400, 380), outline=(215, 45, 55), width=18)
    draw.rectangle((120, 60, 300, 200), fill=(215, 45, 55))
    stamped = ImageChops.multiply(page, seal)  # stamp ink filters the paper: text under it stays dark
    text = np.asarray(page.convert("L")) < 100
    red = (np.asarray(seal)[:, :, 1] < 100) & ~text
    grey = np.asarray(ocr_grey(stamped))
    plain = np.asarray(stamped.convert("L"))
    assert plain[red].mean() < 120  # plain luminance: the seal is as dark as ink
    assert grey[red].mean() > 200  # here it is paper
    under = text & (np.asarray(seal)[:, :, 1] < 100)
    assert under.sum() > 500 and grey[under].mean() < 80  # and the text under it is still ink
    assert np.array_equal(np.asarray(ocr_grey(page.convert("L"))), np.asarray(page.convert("L")))

"""Phone photos of pages: the page found and flattened, flat pages left alone, unfound photos flagged."""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw

from sohoa.core.domain import FileKind
from sohoa.core.text import nfc
from sohoa.ingest.ocr import PHOTO_NOT_FOUND_REASON, make_searchable_pdf
from sohoa.ingest.ocr_engines import FakeOcrEngine, TesseractEngine
from sohoa.ingest.photo import correct_photo, find_page, quad_error
from sohoa.ingest.tesseract import TesseractInfo
from tests.ingest.labelled.generator import generate
from tests.ingest.labelled.photos import DrawnPage, colour_scan, draw_document, photograph

A4_POINTS = (595.3, 841.9)


def _drawn(seed: int, count: int) -> list[DrawnPage]:
    return [draw_document(doc, random.Random(seed * 100 + i)) for i, doc in enumerate(generate(count, seed=seed))]


@pytest.fixture(scope="module")
def pages() -> list[DrawnPage]:
    return _drawn(31, 3)


@pytest.fixture(scope="module")
def photos(pages: list[DrawnPage]) -> list[tuple[Image.Image, np.ndarray]]:
    return [photograph(page.image, random.Random(i)) for i, page in enumerate(pages)]


def test_page_corners_found_within_a_few_pixels(photos):
    for photo, true in photos:
        quad = find_page(photo)
        assert quad is not None
        # A 2448x3264 photo: 4 pixels is about a third of a millimetre on the page.
        assert quad_error(quad.corners, true) < 4.0


def test_photo_is_flattened_to_an_a4_page(photos):
    photo, _ = photos[0]
    flat, decided = correct_photo(photo, resolution_tagged=False, camera=False)
    assert decided.status == "photo" and decided.corners is not None
    assert flat.size == decided.size == (2481, 3507)  # A4 at 300 dpi, upright as shot


def test_flat_pages_are_left_alone(pages):
    page = pages[0].image
    for scan in (page, colour_scan(page, random.Random(1)), page.convert("L")):
        out, decided = correct_photo(scan, resolution_tagged=True, camera=False)
        assert decided.status == "scan"
        assert out is scan  # no warp, not even a copy


def test_photo_without_a_findable_page_is_flagged(pages):
    photo, _ = photograph(pages[1].image, random.Random(5), background="white")
    out, decided = correct_photo(photo, resolution_tagged=False, camera=False)
    assert decided.status == PHOTO_NOT_FOUND_REASON and out is photo
    # The same frame from a scanner (which states its resolution) is just a scan.
    assert correct_photo(photo, resolution_tagged=True, camera=False)[1].status == "scan"


def _page_size_and_corner(pdf_path: Path) -> tuple[tuple[float, float], int]:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[0]
        size = page.get_size()
        image = page.render(scale=20 / 72, grayscale=True).to_pil().convert("L")
        return size, min(image.getpixel((1, 1)), image.getpixel((image.width - 2, image.height - 2)))  # type: ignore[return-value]
    finally:
        pdf.close()


def test_archived_pdf_shows_the_flattened_page(tmp_path, photos):
    source = tmp_path / "photo.jpg"
    photos[0][0].save(source, quality=90)
    out = make_searchable_pdf(
        source, FileKind.JPEG, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=1
    )
    assert out.photo_pages == (0,) and out.photo_pages_not_found == ()
    assert out.event_details() == {"photo_pages": [1]} and out.review_reasons == ()
    size, corner = _page_size_and_corner(out.output_path)
    assert size == pytest.approx(A4_POINTS, abs=1)
    assert corner > 200  # the page's white margin, not the dark desk round it


def test_unfound_photo_goes_on_as_a_scan_with_a_review_reason(tmp_path, pages):
    photo, _ = photograph(pages[1].image, random.Random(5), background="white")
    source = tmp_path / "photo.jpg"
    photo.save(source, quality=90)
    out = make_searchable_pdf(
        source, FileKind.JPEG, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=1
    )
    assert out.photo_pages == () and out.photo_pages_not_found == (0,)
    assert out.review_reasons == (PHOTO_NOT_FOUND_REASON,)
    assert out.event_details() == {"photo_pages_not_found": [1]}
    (width, height), _ = _page_size_and_corner(out.output_path)
    assert width / height == pytest.approx(photo.width / photo.height, rel=0.01)  # the whole frame, unwarped


def test_scan_is_not_reported_as_a_photo(tmp_path, pages):
    source = tmp_path / "scan.png"
    pages[0].image.save(source, dpi=(300, 300))
    out = make_searchable_pdf(
        source, FileKind.PNG, tmp_path / "out.pdf", tmp_path / "work", engine=FakeOcrEngine(), processes=1
    )
    assert out.photo_pages == () and out.photo_pages_not_found == () and out.event_details() == {}


# --- reading: a photo of a page reads about as well as the page itself ----------------------


def _word_f1(found: str, gold: str) -> float:
    got, want = Counter(re.findall(r"\w+", nfc(found))), Counter(re.findall(r"\w+", nfc(gold)))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _read(tmp_path: Path, image: Image.Image, name: str, engine: TesseractEngine, dpi: int | None = None) -> str:
    source = tmp_path / name
    image.save(source, **({"dpi": (dpi, dpi)} if dpi else {"quality": 90}))
    kind = FileKind.PNG if name.endswith(".png") else FileKind.JPEG
    out = make_searchable_pdf(source, kind, tmp_path / f"{name}.pdf", tmp_path / "work", engine=engine, processes=2)
    return "\n".join(page.text for page in out.pages)


@pytest.mark.tesseract
@pytest.mark.slow  # three pages read twice: about 15 s
def test_photo_reads_within_two_points_of_the_flat_page(tmp_path, real_tesseract: TesseractInfo, pages, photos):
    engine = TesseractEngine(timeout=120)
    flat = [_word_f1(_read(tmp_path, p.image, "flat.png", engine, dpi=300), p.gold) for p in pages]
    shot = [
        _word_f1(_read(tmp_path, photo, "photo.jpg", engine), p.gold)
        for p, (photo, _) in zip(pages, photos, strict=True)
    ]
    assert sum(flat) / len(flat) > 0.97  # the page itself reads well: the comparison means something
    assert sum(shot) / len(shot) >= sum(flat) / len(flat) - 0.02, (flat, shot)


def test_scanner_lid_round_a_square_on_page_is_a_scan(pages):
    page = pages[0].image.resize((1240, 1754))
    lid = Image.new("RGB", (1400, 1900), (40, 60, 45))
    lid.paste(page.rotate(1.0, expand=True, fillcolor=(40, 60, 45)), (60, 50))
    # A scanner states its resolution: the lid is cropped by no one, the page keeps its size.
    out, decided = correct_photo(lid, resolution_tagged=True, camera=False)
    assert decided.status == "scan" and out is lid
    # The same frame from a phone held square over the page is a photo: flattened to A4.
    assert correct_photo(lid, resolution_tagged=False, camera=True)[1].status == "photo"


def test_page_found_with_a_pen_across_it_and_another_sheet_touching_it():
    # Two of ten such photos whose sheet merges with the page into one outline (seed 700).
    for i, doc in list(enumerate(generate(6, seed=700)))[4:]:
        page = draw_document(doc, random.Random(i))
        photo, true = photograph(page.image, random.Random(700 + i))
        draw = ImageDraw.Draw(photo)
        x, y = true[1][0], (true[1][1] + true[2][1]) / 2
        draw.line((x - 150, y - 300, x + 200, y + 250), fill=(20, 20, 90), width=30)
        bottom = photo.height
        draw.polygon([(0, bottom - 250), (400, bottom - 330), (450, bottom), (0, bottom)], fill=(235, 235, 230))
        quad = find_page(photo)
        assert quad is not None and quad_error(quad.corners, true) < 4.0

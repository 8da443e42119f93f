"""Pages as images: PDF rendering at the right resolution, TIFF frame by frame, DPI inference."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from sohoa.core.domain import FileKind
from sohoa.ingest.pages import infer_dpi, page_count, render_pages


def _scan(width: int, height: int, mode: str = "L", mark: int = 0) -> Image.Image:
    img = Image.new(mode, (width, height), 255 if mode != "RGB" else (255, 255, 255))
    draw = ImageDraw.Draw(img)
    # A page-number mark so frames can be told apart after rendering.
    draw.rectangle((20, 20 + 40 * mark, 60, 50 + 40 * mark), fill=0 if mode != "RGB" else (0, 0, 0))
    return img


def _dark_rows(img: Image.Image) -> int:
    grey = img.convert("L")
    column = grey.crop((30, 0, 50, grey.height)).resize((1, grey.height))
    rows = [v for v in column.get_flattened_data()]
    return next(i for i, v in enumerate(rows) if v < 128)


def test_render_pages_is_a_lazy_iterator(tmp_path):
    assert inspect.isgeneratorfunction(render_pages)


def test_multipage_tiff_frame_by_frame(tmp_path):
    frames = [_scan(850, 1100, "1", mark=i) for i in range(3)]
    path = tmp_path / "scan.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="group4", dpi=(100, 100))
    pages = render_pages(path, FileKind.TIFF, tmp_path / "work", min_dpi=100)
    first = next(pages)
    assert first.index == 0 and first.dpi == 100
    # Nothing beyond the first frame was written before it was asked for.
    assert len(list((tmp_path / "work").iterdir())) == 1
    rest = list(pages)
    assert [p.index for p in rest] == [1, 2]
    tops = [_dark_rows(Image.open(p.path)) for p in [first, *rest]]
    assert tops[0] < tops[1] < tops[2]
    assert page_count(path, FileKind.TIFF) == 3


def test_selected_pages_only(tmp_path):
    frames = [_scan(850, 1100, "L", mark=i) for i in range(3)]
    path = tmp_path / "scan.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))
    pages = list(render_pages(path, FileKind.TIFF, tmp_path / "w", pages=[2]))
    assert [p.index for p in pages] == [2]


def test_png_without_dpi_is_inferred_from_a4(tmp_path):
    path = tmp_path / "a4.png"
    _scan(1654, 2339).save(path)  # A4 at 200 dpi, no pHYs chunk
    (page,) = render_pages(path, FileKind.PNG, tmp_path / "w")
    assert page.dpi == pytest.approx(200, abs=2)
    assert infer_dpi(2550, 3300) == pytest.approx(300, abs=1)  # US Letter at 300 dpi
    assert infer_dpi(600, 200) == 300  # not page-shaped: a crop, assumed 300 dpi


def test_low_resolution_is_upsampled(tmp_path):
    path = tmp_path / "low.jpg"
    _scan(620, 877, "RGB").save(path, dpi=(75, 75))
    (page,) = render_pages(path, FileKind.JPEG, tmp_path / "w", min_dpi=200)
    assert page.dpi == 200
    assert page.width_px == pytest.approx(620 * 200 / 75, abs=2)
    with Image.open(page.path) as img:
        assert img.size == (page.width_px, page.height_px)


def _image_pdf(tmp_path: Path, dpi: int, mode: str = "L") -> Path:
    path = tmp_path / f"scan{dpi}.pdf"
    _scan(round(8.27 * dpi), round(11.69 * dpi), mode).save(path, resolution=dpi)
    return path


def test_pdf_scan_rendered_at_its_own_resolution(tmp_path):
    path = _image_pdf(tmp_path, 250)
    (page,) = render_pages(path, FileKind.PDF, tmp_path / "w")
    assert page.dpi == pytest.approx(250, abs=0.01)
    assert page.width_px == pytest.approx(8.27 * 250, abs=2)
    with Image.open(page.path) as img:
        assert img.mode == "L"  # a grey scan is not tripled into RGB


def test_pdf_low_resolution_scan_rendered_at_min_dpi(tmp_path):
    path = _image_pdf(tmp_path, 100)
    (page,) = render_pages(path, FileKind.PDF, tmp_path / "w", min_dpi=200)
    assert page.dpi == 200


def test_vector_pdf_rendered_at_300_dpi(tmp_path):
    import pikepdf

    path = tmp_path / "vector.pdf"
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Contents = pikepdf.Stream(pdf, b"0 0 0 rg 100 700 200 20 re f")
        pdf.save(path)
    (rendered,) = render_pages(path, FileKind.PDF, tmp_path / "w")
    assert rendered.dpi == 300
    assert rendered.width_px == pytest.approx(595 * 300 / 72, abs=2)

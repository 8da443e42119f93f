"""Pages as images: PDF rendering at the right resolution, TIFF frame by frame, DPI inference."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.ocr import make_searchable_pdf
from sohoa.ingest.ocr_engines import FakeOcrEngine
from sohoa.ingest.pages import infer_dpi, page_count, render_pages, source_hints
from tests.ingest.textpages import draw_page


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


def test_source_hints_say_how_a_page_was_made(tmp_path):
    scan = tmp_path / "scan.png"
    _scan(1240, 1754).save(scan, dpi=(150, 150))
    hints = source_hints(scan, FileKind.PNG, 0)
    assert hints.resolution_tagged and not hints.camera and hints.native_dpi == pytest.approx(150, abs=0.5)

    photo = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[271], exif[272] = "Samsung", "SM-A525F"
    _scan(1224, 1632, "RGB").save(photo, exif=exif, dpi=(72, 72))  # phones write 72 dpi
    hints = source_hints(photo, FileKind.JPEG, 0)
    assert hints.camera and not hints.resolution_tagged

    pdf = _image_pdf(tmp_path, 250)
    hints = source_hints(pdf, FileKind.PDF, 0)
    assert hints.resolution_tagged and not hints.camera and hints.native_dpi == pytest.approx(250, abs=0.5)


@dataclass(frozen=True)
class _RecordingEngine:
    """Writes the resolution each page was read at, then answers like the fake engine."""

    log: Path

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        with self.log.open("a") as fh:
            fh.write(f"{image.dpi}\n")
        return FakeOcrEngine().ocr_page(image, work_dir, languages=languages)


def test_upsampled_low_resolution_page_is_read_at_the_upsampled_resolution(tmp_path):
    log = tmp_path / "dpi.txt"
    for name, dpi in (("low.png", 150), ("normal.png", 300)):
        page = draw_page(["Căn cứ Luật Tổ chức chính quyền địa phương"] * 20, size=round(33 * dpi / 200))
        page.save(tmp_path / name, dpi=(dpi, dpi))
        make_searchable_pdf(
            tmp_path / name,
            FileKind.PNG,
            tmp_path / "out.pdf",
            tmp_path / "w",
            engine=_RecordingEngine(log),
            processes=1,
        )
    low, normal = (float(v) for v in log.read_text().split())
    assert low == 200  # upsampled from 150 to 200 dpi, and not reduced again
    assert normal < 300  # a 300-dpi page of ordinary text is read smaller, as before

"""Splitting scanned stacks at cover sheets: every page in the right part, in order, its data untouched."""

from __future__ import annotations

import hashlib
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pdfplumber
import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp
from pikepdf import PdfImage
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageOps

from sohoa.core.domain import FileKind
from sohoa.ingest.coversheet import make_cover_sheet
from sohoa.ingest.splitting import StackPart, split_stack
from tests.support.corpus import CORPUS
from tests.support.services import need

DPI = 100
D1 = ("1.001234.000.00.00.H19", "000.00.32.H19-240101-0001")
D2 = ("1.000926", "000.00.32.H19-250521-0103")
D3 = ("2.001957.000.00.00.H19.02", "H19.22.10-240315-00017")
D4 = ("1.009999", "000.00.01.H19-240402-0042")


def sheet(codes: tuple[str, str], dpi: int = DPI) -> Image.Image:
    doc = pdfium.PdfDocument(make_cover_sheet(*codes, title="Hồ sơ thử nghiệm", applicant="Trần Văn Bình"))
    try:
        return doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()


def sheet_text(codes: tuple[str, str]) -> str:
    with pdfplumber.open(io.BytesIO(make_cover_sheet(*codes))) as pdf:
        return pdf.pages[0].extract_text()


def without_qr(img: Image.Image) -> Image.Image:
    (found,) = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    corners = (
        found.position.top_left,
        found.position.top_right,
        found.position.bottom_left,
        found.position.bottom_right,
    )
    xs, ys = [p.x for p in corners], [p.y for p in corners]
    out = img.copy()
    ImageDraw.Draw(out).rectangle((min(xs) - 3, min(ys) - 3, max(xs) + 3, max(ys) + 3), fill=255)
    return out


_CORPUS_PAGES = sorted(CORPUS.glob("vn-docs/*_p*.png"))


def content(n: int) -> Image.Image:
    """A real document page at 100 dpi, stamped with its own number so every page is unique."""
    with Image.open(_CORPUS_PAGES[n % len(_CORPUS_PAGES)]) as src:
        page = src.convert("L").reduce(2)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    ImageDraw.Draw(page).text((page.width - 220, page.height - 60), f"TRANG {n:02d}", fill=0, font=font)
    return page


def skew(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)


def blank() -> Image.Image:
    page = Image.effect_noise((827, 1170), 6).point(lambda v: min(255, v + 120))  # paper grain
    return page


def image_pdf(pages: list[Image.Image], path: Path) -> list[str]:
    """A scanned stack as an image PDF (JPEG pages); returns each page's image data hash."""
    hashes = []
    with pikepdf.new() as pdf:
        for img in pages:
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=70)
            data = buf.getvalue()
            hashes.append(hashlib.sha256(data).hexdigest())
            w, h = img.width * 72 / DPI, img.height * 72 / DPI
            page = pdf.add_blank_page(page_size=(w, h))
            stream = pikepdf.Stream(pdf, data)
            stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
            stream.Width, stream.Height, stream.BitsPerComponent = img.width, img.height, 8
            stream.ColorSpace, stream.Filter = pikepdf.Name.DeviceGray, pikepdf.Name.DCTDecode
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
            page.Contents = pikepdf.Stream(pdf, f"q {w} 0 0 {h} 0 0 cm /Im0 Do Q".encode())
        pdf.save(path)
    return hashes


def raw_hashes(part: StackPart) -> list[str]:
    with pikepdf.open(part.pdf_path) as pdf:
        hashes = [
            hashlib.sha256(next(iter(page.Resources.XObject.values())).read_raw_bytes()).hexdigest()
            for page in pdf.pages
        ]
    assert len(hashes) == len(part.page_indices)
    return hashes


def decoded_pages(part: StackPart) -> list[Image.Image]:
    with pikepdf.open(part.pdf_path) as pdf:
        return [PdfImage(next(iter(page.Resources.XObject.values()))).as_pil_image().convert("L") for page in pdf.pages]


def summary(parts: tuple[StackPart, ...]) -> list[tuple[str | None, str | None, tuple[int, ...], bool]]:
    return [(p.procedure_code, p.dossier_code, p.page_indices, p.needs_review) for p in parts]


def test_pdf_stack_is_split_into_dossiers_with_pages_copied_losslessly(tmp_path: Path) -> None:
    pages = [
        content(0),  # before any sheet: filed under the upload's codes by the caller
        sheet(D1),
        content(1),
        content(2),
        sheet(D2).rotate(90, expand=True).point(lambda v: 150 + v * 60 // 255),  # sideways and low contrast
        blank(),  # the back of the sheet, scanned duplex
        content(3),  # a dossier of one page
        skew(sheet(D3), 3.5).rotate(180),  # skewed and upside down
        content(4),
        content(5),
        sheet(D4).point(lambda v: 215 + v * 20 // 255),  # faint print
        content(6),
    ]
    stack = tmp_path / "stack.pdf"
    hashes = image_pdf(pages, stack)
    work = tmp_path / "work"
    parts = split_stack(stack, FileKind.PDF, work)
    assert summary(parts) == [
        (None, None, (0,), False),
        (*D1, (2, 3), False),
        (*D2, (6,), False),
        (*D3, (8, 9), False),
        (*D4, (11,), False),
    ]
    assert [p.sheet_index for p in parts] == [None, 1, 4, 7, 10]
    for part in parts:
        assert raw_hashes(part) == [hashes[i] for i in part.page_indices]  # same bytes: no re-encoding
        assert part.review_reason is None and part.pdf_path.parent == work
    assert sorted(p.name for p in work.iterdir()) == [p.pdf_path.name for p in parts]  # scratch removed


def test_a_nearly_empty_page_after_a_sheet_is_kept(tmp_path: Path) -> None:
    sparse = blank()
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 22)
    ImageDraw.Draw(sparse).text((90, 120), "Trang này để trống", fill=30, font=font)
    stack = tmp_path / "stack.pdf"
    image_pdf([sheet(D1), sparse, blank(), sheet(D2), blank(), content(19)], stack)
    parts = split_stack(stack, FileKind.PDF, tmp_path / "work")
    # Only the blank page right behind a sheet is its back; a blank page inside a dossier stays.
    assert summary(parts) == [(*D1, (1, 2), False), (*D2, (5,), False)]


@pytest.mark.parametrize("strips", ["one-strip", "many-strips"])
def test_g4_tiff_stack_keeps_every_pixel(tmp_path: Path, strips: str) -> None:
    def bilevel(img: Image.Image) -> Image.Image:
        return img.point(lambda v: 255 if v > 150 else 0).convert("1")

    pages = [sheet(D1, 150), content(7), sheet(D2, 150).rotate(270, expand=True), content(8), content(9)]
    pages += [skew(sheet(D3, 150), -2), content(10)]
    frames = [bilevel(p) for p in pages]
    stack = tmp_path / "stack.tif"
    extra = {"strip_size": 2**30} if strips == "one-strip" else {}
    frames[0].save(stack, save_all=True, append_images=frames[1:], compression="group4", dpi=(DPI, DPI), **extra)
    parts = split_stack(stack, FileKind.TIFF, tmp_path / "work")
    assert summary(parts) == [(*D1, (1,), False), (*D2, (3, 4), False), (*D3, (6,), False)]
    for part in parts:
        for index, got in zip(part.page_indices, decoded_pages(part), strict=True):
            assert ImageChops.difference(got, frames[index].convert("L")).getbbox() is None
        with pikepdf.open(part.pdf_path) as pdf:
            width = float(pdf.pages[0].mediabox[2])
            assert abs(width - frames[part.page_indices[0]].width * 72 / DPI) < 0.5  # page size from the scan's dpi
            if strips == "one-strip":  # the coded strip itself, not a re-encoding
                with Image.open(stack) as tif:
                    tif.seek(part.page_indices[0])
                    start, size = tif.tag_v2[273][0], tif.tag_v2[279][0]
                (image,) = pdf.pages[0].Resources.XObject.values()
                assert image.read_raw_bytes() == stack.read_bytes()[start : start + size]


def test_jpeg_keeps_its_bytes_and_exif_rotation(tmp_path: Path) -> None:
    page = content(11)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: shown rotated 90 degrees clockwise
    path = tmp_path / "page.jpg"
    page.rotate(90, expand=True).save(path, "JPEG", quality=80, exif=exif, dpi=(DPI, DPI))
    (part,) = split_stack(path, FileKind.JPEG, tmp_path / "work")
    assert summary((part,)) == [(None, None, (0,), False)]
    with pikepdf.open(part.pdf_path) as pdf:
        (image,) = pdf.pages[0].Resources.XObject.values()
        assert image.read_raw_bytes() == path.read_bytes()
        assert int(pdf.pages[0].Rotate) == 90


def test_png_pixels_are_wrapped_without_decoding(tmp_path: Path) -> None:
    page = content(12)
    path = tmp_path / "page.png"
    page.save(path, dpi=(DPI, DPI))
    (part,) = split_stack(path, FileKind.PNG, tmp_path / "work")
    (got,) = decoded_pages(part)
    assert ImageChops.difference(got, page).getbbox() is None
    with pikepdf.open(part.pdf_path) as pdf:
        (image,) = pdf.pages[0].Resources.XObject.values()
        assert image.DecodeParms.Predictor == 15  # PNG's own compressed rows
    only_sheet = tmp_path / "sheet.png"
    sheet(D1).save(only_sheet)
    assert split_stack(only_sheet, FileKind.PNG, tmp_path / "work2") == ()


def _upright_text_ocr(upright: Image.Image, text: str, calls: list[Path]) -> Callable[[Path], str]:
    """A stand-in OCR: the sheet's text only when handed the sheet the right way up."""
    size = (200, 283)
    reference = ImageOps.autocontrast(upright).resize(size)

    def distance(img: Image.Image) -> float:
        diff = ImageChops.difference(ImageOps.autocontrast(img).resize(size), reference)
        return sum(i * n for i, n in enumerate(diff.histogram())) / (size[0] * size[1])

    def ocr(path: Path) -> str:
        calls.append(path)
        with Image.open(path) as img:
            shown = img.convert("L")
        turned = min(distance(shown.rotate(angle, expand=True)) for angle in (90, 180, 270))
        return text if distance(shown) < turned / 2 else "nội dung khác"

    return ocr


def test_sheet_without_qr_goes_to_review_and_never_joins_the_previous_dossier(tmp_path: Path) -> None:
    damaged = without_qr(sheet(D2))
    pages = [sheet(D1), content(13), damaged.rotate(90, expand=True), content(14), content(15), sheet(D3), content(16)]
    stack = tmp_path / "stack.pdf"
    image_pdf(pages, stack)

    unread = split_stack(stack, FileKind.PDF, tmp_path / "w1")
    assert summary(unread) == [(*D1, (1,), False), (None, None, (3, 4), True), (*D3, (6,), False)]
    assert unread[1].review_reason == "cover_sheet_unreadable" and unread[1].sheet_index == 2

    calls: list[Path] = []
    ocr = _upright_text_ocr(damaged, sheet_text(D2), calls)
    read = split_stack(stack, FileKind.PDF, tmp_path / "w2", ocr_text=ocr)
    assert summary(read) == [(*D1, (1,), False), (*D2, (3, 4), True), (*D3, (6,), False)]
    assert read[1].review_reason == "cover_sheet_text"
    assert 1 <= len(calls) <= 2  # only the marked page, turned upright (one of two half turns)

    calls.clear()
    everything = split_stack(stack, FileKind.PDF, tmp_path / "w3", ocr_text=ocr, ocr_pages="all")
    assert summary(everything) == summary(read)
    assert len(calls) >= 5  # every page without a sheet QR: four content pages and the damaged sheet


def test_unreadable_sheet_text_from_real_tesseract_is_filed_for_review(tmp_path: Path) -> None:
    need(shutil.which("tesseract") is not None, "program 'tesseract'")
    import pytesseract

    need("vie" in pytesseract.get_languages(config=""), "tesseract language 'vie'")
    damaged = skew(without_qr(sheet(D4, 200)), 1.5)
    pages = [sheet(D1, 200), content(17), damaged, content(18)]
    stack = tmp_path / "stack.pdf"
    image_pdf(pages, stack)

    def ocr(path: Path) -> str:
        return pytesseract.image_to_string(str(path), lang="vie", timeout=60)

    parts = split_stack(stack, FileKind.PDF, tmp_path / "work", ocr_text=ocr)
    assert summary(parts) == [(*D1, (1,), False), (*D4, (3,), True)]
    assert parts[1].review_reason == "cover_sheet_text"

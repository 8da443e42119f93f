"""Which pages carry real text (kept as they are) and which are read by OCR; documents of several files."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pikepdf
from PIL import Image

from sohoa.core.domain import FileKind
from sohoa.ingest.ocr import SourceFile, make_document_pdf
from sohoa.ingest.ocr_engines import FakeOcrEngine
from sohoa.ingest.textlayer import read_text_layers, text_layer_pages
from tests.support.corpus import corpus_file
from tests.support.pdfs import make_text_image

TYPED = "vn-docs/vn031_congbot_49.pdf"


def _scan_pdf(tmp_path: Path, name: str, lines: list[str]) -> Path:
    image = make_text_image(tmp_path / f"{name}.png", lines)
    out = tmp_path / f"{name}.pdf"
    with Image.open(image) as img:
        img.save(out, "PDF", resolution=200.0)
    return out


def _with_words(pdf_path: Path, words: str, out: Path, *, invisible: bool = False) -> Path:
    """A scan with a few typed words drawn over it (an e-office stamp, a page number), or with
    ``invisible`` under an earlier OCR layer (render mode 3), as a scanner's own OCR leaves it."""
    place = "BT 3 Tr /F9 10 Tf 40 300 Td" if invisible else "BT /F9 10 Tf 40 40 Td"  # render mode 3: unseen
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[0]
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
        page.obj.Resources.Font = pikepdf.Dictionary(F9=font)
        page.contents_add(pikepdf.Stream(pdf, f"{place} ({words}) Tj ET".encode("latin-1")))
        pdf.save(out)
    return out


def test_typed_pages_are_real_text_and_scans_are_not(tmp_path: Path) -> None:
    assert text_layer_pages(corpus_file(TYPED)) == {0, 1, 2}
    scan = _scan_pdf(tmp_path, "scan", ["Số: 15/QĐ-SVHTTDL", "QUYẾT ĐỊNH"])
    assert text_layer_pages(scan) == frozenset()
    layer = read_text_layers(scan)[0]
    assert layer.visible == 0 and layer.image_cover > 0.99


def test_an_earlier_ocr_layer_is_not_kept(tmp_path: Path) -> None:
    scan = _scan_pdf(tmp_path, "scan", ["QUYẾT ĐỊNH"])
    words = "Quyet dinh ve viec cap giay phep hoat dong kinh doanh dich vu karaoke " * 4
    ocred = _with_words(scan, words, tmp_path / "ocred.pdf", invisible=True)
    layer = read_text_layers(ocred)[0]
    assert layer.invisible > 100 and layer.visible == 0
    assert text_layer_pages(ocred) == frozenset()


def test_a_scan_with_a_typed_stamp_is_still_a_scan_but_a_typed_page_over_a_picture_is_text(tmp_path: Path) -> None:
    scan = _scan_pdf(tmp_path, "scan", ["QUYẾT ĐỊNH"])
    stamped = _with_words(scan, "Ky boi: So Van hoa The thao va Du lich 07.12.2026", tmp_path / "stamped.pdf")
    layer = read_text_layers(stamped)[0]
    assert 20 <= layer.visible < 200
    assert text_layer_pages(stamped) == frozenset()
    long_text = "Dieu 1. Quy dinh cu the mot so chinh sach ve boi thuong ho tro tai dinh cu " * 5
    typed = _with_words(scan, long_text, tmp_path / "typed.pdf")
    assert text_layer_pages(typed) == {0}


def test_a_document_of_several_files_is_one_pdf_in_their_order(tmp_path: Path) -> None:
    first = make_text_image(tmp_path / "p1.png", ["QUYẾT ĐỊNH"])
    typed = corpus_file(TYPED)
    third = _scan_pdf(tmp_path, "p3", ["Nơi nhận:"])
    out = tmp_path / "out.pdf"
    result = make_document_pdf(
        [
            SourceFile(first, FileKind.PNG),
            SourceFile(typed, FileKind.PDF, frozenset({1})),  # its second page kept, the others OCRed
            SourceFile(third, FileKind.PDF),
        ],
        out,
        tmp_path / "work",
        engine=FakeOcrEngine(text_by_page="trang {page}"),
        processes=1,
    )
    assert result.page_count == 5
    assert [p.index for p in result.pages] == [0, 1, 2, 3, 4]
    assert [p.source for p in result.pages] == ["ocr", "ocr", "text_layer", "ocr", "ocr"]
    assert result.ocr_pages == (0, 1, 3, 4) and result.text_layer_pages == (2,)
    assert result.event_details() == {"ocr_pages": [1, 2, 4, 5], "text_layer_pages": [3]}
    assert result.pdfa is False
    with pdfplumber.open(out) as pdf, pdfplumber.open(typed) as original:
        texts = [page.extract_text() or "" for page in pdf.pages]
        kept = original.pages[1].extract_text()
    # Every OCRed page is numbered by its place in the document, whichever file it came from.
    assert [t.strip() for i, t in enumerate(texts) if i != 2] == ["trang 1", "trang 2", "trang 4", "trang 5"]
    assert texts[2] == kept


def test_several_files_in_worker_processes_keep_their_order(tmp_path: Path) -> None:
    pages = [make_text_image(tmp_path / f"p{n}.png", [f"Trang số {n}"]) for n in range(1, 5)]
    out = tmp_path / "out.pdf"
    result = make_document_pdf(
        [SourceFile(p, FileKind.PNG) for p in pages],
        out,
        tmp_path / "work",
        engine=FakeOcrEngine(text_by_page="trang {page}"),
        processes=2,
    )
    assert [p.text for p in result.pages] == ["trang 1", "trang 2", "trang 3", "trang 4"]
    assert result.pdfa is True and result.event_details() == {}
    with pdfplumber.open(out) as pdf:
        assert [(page.extract_text() or "").strip() for page in pdf.pages] == [p.text for p in result.pages]

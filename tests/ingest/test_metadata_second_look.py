"""A second look at the last page when a seal hid the signer's name from the first reading."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.metadata.filing import Filing, file_document
from sohoa.ingest.metadata.second_look import (
    SIGNATURE_COLUMN,
    dark_ink_signature,
    ink_level,
    signature_of,
)
from sohoa.ingest.metadata.signature import Signature
from sohoa.ingest.ocr import LAST_PAGE_NAME
from sohoa.ingest.ocr_engines import TesseractEngine
from sohoa.ingest.pages import iter_page_images
from tests.ingest.test_metadata_layout import MIDDLE, Row, _header, _page, _signature

PROCEDURE = "1.001234"


def _pages(name: str | None) -> list[PageText]:
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    recipients, signer = _signature(700, seal=True)
    if name is None:
        signer = [row for row in signer if row.text != "Nguyễn Văn Hòa"]  # under the seal: not read
    return [_page(0, left, right, title, signer, recipients)]


def _signer_page() -> PageText:
    recipients, signer = _signature(300)
    return _page(0, signer, recipients)


def _filed_after_reading_again(pages: list[PageText], surname: str) -> Filing:
    """``pages`` filed after a second look that read the signer's family name as ``surname``."""
    alone = _signer_page()
    again = signature_of(
        replace(alone, words=tuple(replace(w, text=surname) if w.text == "Nguyễn" else w for w in alone.words))
    )
    return file_document(pages, policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: again)


def test_a_name_the_seal_hid_is_read_on_the_second_look() -> None:
    asked: list[int] = []

    def look(index: int) -> Signature | None:
        asked.append(index)
        return signature_of(_signer_page())

    first = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE)
    assert first.printed.signer_name is None and "missing:signer_name" in first.reasons
    again = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE, look_again=look)
    assert asked == [0]
    assert again.printed.signer_name == "Nguyễn Văn Hòa"
    assert "missing:signer_name" not in again.reasons


def _page_with_name(name: str, conf: float) -> list[PageText]:
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    recipients, signer = _signature(700)
    signer = [Row(name, row.x, row.y, True, conf) if row.text == "Nguyễn Văn Hòa" else row for row in signer]
    return [_page(0, left, right, title, signer, recipients)]


def test_no_second_look_when_the_first_reading_is_sure_of_the_name() -> None:
    asked: list[int] = []
    filing = file_document(
        _page_with_name("Nguyễn Văn Hòa", 95.0),
        policy="auto",
        upload_procedure_code=PROCEDURE,
        look_again=lambda i: asked.append(i),
    )
    assert asked == [] and filing.printed.signer_name == "Nguyễn Văn Hòa"


def test_a_name_read_in_doubt_gets_a_second_look_and_the_surer_reading_wins() -> None:
    # a seal's speck read into the family name (``Ñguyễn``): plausible in shape, read at low confidence
    doubtful = _page_with_name("Nguyên Văn Hòa", 45.0)
    first = file_document(doubtful, policy="auto", upload_procedure_code=PROCEDURE)
    assert first.printed.confidence["signer_name"] < 0.6 and "low_confidence:signer_name" in first.reasons
    asked: list[int] = []

    def look(index: int) -> Signature | None:
        asked.append(index)
        return signature_of(_signer_page())

    again = file_document(doubtful, policy="auto", upload_procedure_code=PROCEDURE, look_again=look)
    assert asked == [0]
    assert again.printed.signer_name == "Nguyễn Văn Hòa"
    assert not any(r.endswith(":signer_name") for r in again.reasons), again.reasons


def test_a_second_look_less_sure_than_the_first_reading_changes_nothing() -> None:
    first = _page_with_name("Trần Văn Hòa", 58.0)
    recipients, signer = _signature(300)
    unsure = [Row("Trần Văn Hoà", row.x, row.y, True, 30.0) if row.text == "Nguyễn Văn Hòa" else row for row in signer]
    again = signature_of(_page(0, unsure, recipients))
    filing = file_document(first, policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: again)
    assert filing.printed.signer_name == "Trần Văn Hòa"


def test_a_second_look_that_finds_nothing_leaves_the_document_for_review() -> None:
    filing = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: None)
    assert filing.printed.signer_name is None and "missing:signer_name" in filing.reasons


class _InkEngine:
    """Reads nothing, and keeps each image it was given (the second look deletes its files)."""

    def __init__(self) -> None:
        self.images: list[Image.Image] = []

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        with Image.open(image.path) as read:
            self.images.append(read.copy())
        return PageText(image.index, "", "ocr")


def _whole_page_read(page: Image.Image, tmp_path: Path) -> Image.Image:
    """The whole page as the second look reads it after the signature column gave no name."""
    png = tmp_path / LAST_PAGE_NAME
    page.save(png, dpi=(200, 200))
    engine = _InkEngine()
    found = dark_ink_signature(0, 0, {LAST_PAGE_NAME: png}.get, tmp_path / "again", engine=engine, languages="vie")
    assert found is not None and found.name is None
    assert len(engine.images) == 2 and engine.images[1].size == page.size
    return engine.images[1]


def test_dark_ink_keeps_the_print_and_drops_a_grey_seal(tmp_path: Path) -> None:
    page = Image.new("L", (400, 200), 235)
    draw = ImageDraw.Draw(page)
    draw.ellipse((100, 20, 300, 180), outline=105, width=12)  # a red seal scanned in grey
    draw.rectangle((150, 120, 250, 140), fill=15)  # printed text
    dark = _whole_page_read(page, tmp_path)
    assert dark.getpixel((200, 130)) == 0  # the print stays
    assert dark.getpixel((105, 100)) == 255  # the seal's ring goes
    assert dark.getpixel((20, 20)) == 255


def test_a_page_with_little_print_keeps_its_seal_out_of_the_dark_ink(tmp_path: Path) -> None:
    # a last page holding the signature block alone: the seal's ring has more ink than the print,
    # so the darkest 0.5 % of the page is the ring's grey; the print's own level drops it
    page = Image.new("L", (2000, 2000), 235)
    draw = ImageDraw.Draw(page)
    draw.ellipse((300, 300, 700, 700), outline=100, width=14)
    assert np.percentile(np.asarray(page), 0.5) > 90  # what the page's darkest 0.5 % would say
    draw.rectangle((420, 640, 620, 680), fill=15)  # the name, under the ring's edge
    assert ink_level(page) < 40
    dark = _whole_page_read(page, tmp_path)
    assert dark.getpixel((500, 660)) == 0
    assert dark.getpixel((305, 500)) == 255  # the ring's left edge, far from the print
    assert dark.getpixel((500, 690)) == 255  # the ring below the name


def test_a_mark_on_a_consonant_is_a_speck_not_a_name() -> None:
    # Vietnamese marks sit on vowels only: ``Ñô`` is a seal's speck over ``Ngô``
    filing = file_document(_page_with_name("Ñô Hữu Vinh", 90.0), policy="auto", upload_procedure_code=PROCEDURE)
    assert filing.printed.signer_name != "Ñô Hữu Vinh"
    assert any(r.endswith(":signer_name") for r in filing.reasons), filing.reasons


def _block_with_name(name: Row) -> list[PageText]:
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    recipients, signer = _signature(700)
    signer = [row for row in signer if row.text != "Nguyễn Văn Hòa"] + [name]
    return [_page(0, left, right, title, signer, recipients)]


def test_a_name_off_the_centre_of_its_authority_lost_a_word_and_goes_to_review() -> None:
    # ``Vũ Đức Hương`` printed centred under ``PHÓ CHỦ TỊCH``; the seal took ``Vũ``: what is left
    # sits right of the block's centre
    full = "Vũ Đức Hương"
    left_edge = 1750 - len(full) * 20 // 2
    lost = _block_with_name(Row("Đức Hương", left_edge + len("Vũ ") * 20, 1000))
    filing = file_document(lost, policy="auto", upload_procedure_code=PROCEDURE)
    assert filing.printed.signer_name == "Đức Hương"
    assert "low_confidence:signer_name" in filing.reasons, filing.reasons

    whole = file_document(_block_with_name(Row(full, 1750, 1000, True)), policy="auto", upload_procedure_code=PROCEDURE)
    assert whole.printed.signer_name == full and not any(r.endswith(":signer_name") for r in whole.reasons)


def test_a_second_look_that_reads_the_name_without_any_authority_line_goes_to_review() -> None:
    # the seal hid the whole authority block even from the darkest ink: the name is found where
    # Phụ lục I puts it, but nothing tells whether a word of it was lost too (``Thanh Hòa``)
    recipients, _ = _signature(300)
    alone = _page(0, recipients, [Row("Thanh Hòa", 1750, 600, True)])
    again = signature_of(alone)
    filing = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: again)
    assert filing.printed.signer_name == "Thanh Hòa"
    assert "low_confidence:signer_name" in filing.reasons, filing.reasons


class _ColumnEngine:
    """Reads a crop narrower than the page as the signature column, the whole page as ``whole``."""

    def __init__(self, column: list[Row], whole: list[Row]) -> None:
        self.column, self.whole, self.widths = column, whole, []

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        self.widths.append(image.width_px)
        rows = self.column if image.width_px < PAGE_WIDTH else self.whole
        return _page(image.index, rows)


PAGE_WIDTH = 1200


def _scan_pdf(tmp_path: Path) -> Path:
    page = Image.new("L", (PAGE_WIDTH, 1700), 235)
    ImageDraw.Draw(page).rectangle((700, 900, 1000, 940), fill=15)
    path = tmp_path / "ocr.pdf"
    page.save(path, "PDF", resolution=150)
    return path


def _column_width(page_width: int) -> int:
    return page_width - round(page_width * SIGNATURE_COLUMN)


def test_the_second_look_reads_the_signature_column_first(tmp_path: Path) -> None:
    column = [Row("GIÁM ĐỐC", 300, 200, True), Row("Lê Văn Tuấn", 300, 500, True)]
    engine = _ColumnEngine(column, whole=[Row("Nơi nhận:", 100, 200)])
    pdf = _scan_pdf(tmp_path)
    found = dark_ink_signature(0, 0, {"ocr.pdf": pdf}.get, tmp_path / "again", engine=engine, languages="vie")
    assert found is not None and found.name == "Lê Văn Tuấn" and found.authority == ("GIÁM ĐỐC",)
    _, image, _ = next(iter_page_images(pdf, FileKind.PDF))
    assert engine.widths == [_column_width(image.width)]


def test_the_second_look_reads_the_whole_page_when_the_column_gives_no_name(tmp_path: Path) -> None:
    whole = [Row("GIÁM ĐỐC", 900, 200, True), Row("Lê Văn Tuấn", 900, 500, True)]
    engine = _ColumnEngine([Row("x ~", 300, 500, True)], whole)
    kept = {"ocr.pdf": _scan_pdf(tmp_path)}.get
    found = dark_ink_signature(0, 0, kept, tmp_path / "again", engine=engine, languages="vie")
    assert found is not None and found.name == "Lê Văn Tuấn"
    assert len(engine.widths) == 2 and engine.widths[1] >= PAGE_WIDTH


@dataclass(frozen=True)
class _TesseractAsSet(TesseractEngine):
    """Tesseract as the second look sets it up for each read, recorded instead of run."""

    reads: list[tuple[int | None, bool, int]] = field(default_factory=list)  # psm, choices, image width

    def ocr_page(self, image: PageImage, work_dir: Path, *, languages: str) -> PageText:
        self.reads.append((self.psm, self.choices, image.width_px))
        return PageText(image.index, "", "ocr")


def test_tesseract_reads_the_column_as_one_block_and_every_read_weighs_the_marks(tmp_path: Path) -> None:
    engine = _TesseractAsSet()
    pdf = _scan_pdf(tmp_path)
    found = dark_ink_signature(0, 0, {"ocr.pdf": pdf}.get, tmp_path / "again", engine=engine, languages="vie")
    assert found is not None and found.name is None
    _, image, _ = next(iter_page_images(pdf, FileKind.PDF))
    # the column with ``--psm 6``, then the whole page with tesseract's own layout analysis
    assert engine.reads == [(6, True, _column_width(image.width)), (None, True, image.width)]


def test_the_second_look_reads_the_last_page_as_the_ocr_kept_it_else_the_searchable_pdf(tmp_path: Path) -> None:
    # the kept PNG is the last page as the OCR stage read it, lossless; the PDF's page was re-encoded
    png = tmp_path / LAST_PAGE_NAME
    page = Image.new("L", (PAGE_WIDTH, 1700), 235)
    ImageDraw.Draw(page).rectangle((700, 900, 1000, 940), fill=15)
    page.save(png, dpi=(200, 200))
    pdf = _scan_pdf(tmp_path)
    _, image, _ = next(iter_page_images(pdf, FileKind.PDF))
    assert image.width != PAGE_WIDTH  # which of the two was read shows in the column's width

    def read(index: int, last: int, kept: dict[str, Path]) -> list[int] | None:
        engine = _ColumnEngine([Row("GIÁM ĐỐC", 300, 200, True), Row("Lê Văn Tuấn", 300, 500, True)], whole=[])
        found = dark_ink_signature(index, last, kept.get, tmp_path / "again", engine=engine, languages="vie")
        if found is None:
            assert engine.widths == []
            return None
        assert found.name == "Lê Văn Tuấn"
        return engine.widths

    both = {LAST_PAGE_NAME: png, "ocr.pdf": pdf}
    assert read(0, 0, both) == [_column_width(PAGE_WIDTH)]
    assert read(0, 1, both) == [_column_width(image.width)]  # not the last page: the PDF's
    assert read(0, 0, {"ocr.pdf": pdf}) == [_column_width(image.width)]
    assert read(0, 1, {LAST_PAGE_NAME: png}) is None
    assert read(0, 0, {}) is None


def test_a_name_whose_first_word_is_no_family_name_goes_to_review() -> None:
    # ``Đừng`` is a syllable but nobody's family name: the seal's specks made ``Đặng`` into it
    misread = file_document(
        _block_with_name(Row("Đừng Ngọc Bình", 1750, 1000, True)), policy="auto", upload_procedure_code=PROCEDURE
    )
    assert misread.printed.signer_name == "Đừng Ngọc Bình"
    assert "low_confidence:signer_name" in misread.reasons, misread.reasons
    right = file_document(
        _block_with_name(Row("Đặng Ngọc Bình", 1750, 1000, True)), policy="auto", upload_procedure_code=PROCEDURE
    )
    assert right.printed.signer_name == "Đặng Ngọc Bình" and not any(r.endswith(":signer_name") for r in right.reasons)
    # a second look is held to the same: its name as read again, ``Nguyễn``, is filed without review,
    # ``Đừng`` in its place is not
    for surname, doubted in (("Nguyễn", False), ("Đừng", True)):
        filing = _filed_after_reading_again(_pages(None), surname)
        assert filing.printed.signer_name == f"{surname} Văn Hòa"
        assert ("low_confidence:signer_name" in filing.reasons) is doubted, filing.reasons
        assert "missing:signer_name" not in filing.reasons


def test_a_text_layer_pdf_s_second_look_is_read_as_ocr() -> None:
    # typed pages with no name on them (a seal pasted over it as an image): the second look reads an
    # image of the page by OCR all the same, so its name is put right and held to the same doubt
    typed = [replace(page, source="text_layer") for page in _pages(None)]
    first = file_document(typed, policy="auto", upload_procedure_code=PROCEDURE)
    assert first.printed.signer_name is None and "missing:signer_name" in first.reasons
    filing = _filed_after_reading_again(typed, "Nguyên")
    assert filing.printed.signer_name == "Nguyễn Văn Hòa"
    assert not any(r.endswith(":signer_name") for r in filing.reasons), filing.reasons
    filing = _filed_after_reading_again(typed, "Đừng")
    assert filing.printed.signer_name == "Đừng Văn Hòa"
    assert "low_confidence:signer_name" in filing.reasons, filing.reasons

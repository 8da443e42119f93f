"""A second look at the last page when a seal hid the signer's name from the first reading."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from sohoa.core.domain import FileKind, PageImage, PageText
from sohoa.ingest.metadata.filing import file_document
from sohoa.ingest.metadata.second_look import (
    SIGNATURE_COLUMN,
    dark_ink_image,
    dark_ink_page,
    ink_level,
    signer_from_page,
)
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


def test_a_name_the_seal_hid_is_read_on_the_second_look() -> None:
    asked: list[int] = []

    def look(index: int) -> PageText | None:
        asked.append(index)
        return _signer_page()

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

    def look(index: int) -> PageText | None:
        asked.append(index)
        return _signer_page()

    again = file_document(doubtful, policy="auto", upload_procedure_code=PROCEDURE, look_again=look)
    assert asked == [0]
    assert again.printed.signer_name == "Nguyễn Văn Hòa"
    assert not any(r.endswith(":signer_name") for r in again.reasons), again.reasons


def test_a_second_look_less_sure_than_the_first_reading_changes_nothing() -> None:
    first = _page_with_name("Trần Văn Hòa", 58.0)
    recipients, signer = _signature(300)
    unsure = [Row("Trần Văn Hoà", row.x, row.y, True, 30.0) if row.text == "Nguyễn Văn Hòa" else row for row in signer]
    filing = file_document(
        first, policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: _page(0, unsure, recipients)
    )
    assert filing.printed.signer_name == "Trần Văn Hòa"


def test_a_second_look_that_finds_nothing_leaves_the_document_for_review() -> None:
    filing = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: None)
    assert filing.printed.signer_name is None and "missing:signer_name" in filing.reasons


def test_dark_ink_keeps_the_print_and_drops_a_grey_seal() -> None:
    page = Image.new("L", (400, 200), 235)
    draw = ImageDraw.Draw(page)
    draw.ellipse((100, 20, 300, 180), outline=105, width=12)  # a red seal scanned in grey
    draw.rectangle((150, 120, 250, 140), fill=15)  # printed text
    dark = dark_ink_image(page)
    assert dark.getpixel((200, 130)) == 0  # the print stays
    assert dark.getpixel((105, 100)) == 255  # the seal's ring goes
    assert dark.getpixel((20, 20)) == 255


def test_a_page_with_little_print_keeps_its_seal_out_of_the_dark_ink() -> None:
    # a last page holding the signature block alone: the seal's ring has more ink than the print,
    # so the darkest 0.5 % of the page is the ring's grey; the print's own level drops it
    page = Image.new("L", (2000, 2000), 235)
    draw = ImageDraw.Draw(page)
    draw.ellipse((300, 300, 700, 700), outline=100, width=14)
    assert np.percentile(np.asarray(page), 0.5) > 90  # what the page's darkest 0.5 % would say
    draw.rectangle((420, 640, 620, 680), fill=15)  # the name, under the ring's edge
    assert ink_level(page) < 40
    dark = dark_ink_image(page)
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
    filing = file_document(_pages(None), policy="auto", upload_procedure_code=PROCEDURE, look_again=lambda i: alone)
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


def test_the_second_look_reads_the_signature_column_first_and_gives_page_positions(tmp_path: Path) -> None:
    column = [Row("GIÁM ĐỐC", 300, 200, True), Row("Lê Văn Tuấn", 300, 500, True)]
    engine = _ColumnEngine(column, whole=[Row("Nơi nhận:", 100, 200)])
    page = dark_ink_page(_scan_pdf(tmp_path), 0, tmp_path / "again", engine=engine, languages="vie")
    assert page is not None and len(engine.widths) == 1 and engine.widths[0] < PAGE_WIDTH
    assert signer_from_page(page)[0] == "Lê Văn Tuấn"
    _, image, _ = next(iter_page_images(tmp_path / "ocr.pdf", FileKind.PDF))
    assert engine.widths[0] == image.width - round(image.width * SIGNATURE_COLUMN)
    name = next(w for w in page.words if w.text == "Lê")
    # in page pixels: the column's own position plus where the column starts
    assert name.left == round(image.width * SIGNATURE_COLUMN) + 300 - len("Lê Văn Tuấn") * 20 // 2


def test_the_second_look_reads_the_whole_page_when_the_column_gives_no_name(tmp_path: Path) -> None:
    whole = [Row("GIÁM ĐỐC", 900, 200, True), Row("Lê Văn Tuấn", 900, 500, True)]
    engine = _ColumnEngine([Row("x ~", 300, 500, True)], whole)
    page = dark_ink_page(_scan_pdf(tmp_path), 0, tmp_path / "again", engine=engine, languages="vie")
    assert page is not None and len(engine.widths) == 2 and engine.widths[1] >= PAGE_WIDTH
    assert signer_from_page(page)[0] == "Lê Văn Tuấn"


def test_the_second_look_reads_the_last_page_as_the_ocr_kept_it(tmp_path: Path) -> None:
    # a PNG is the page the OCR stage read, lossless: read as the document's own page ``index``
    png = tmp_path / "last-page.png"
    page = Image.new("L", (PAGE_WIDTH, 1700), 235)
    ImageDraw.Draw(page).rectangle((700, 900, 1000, 940), fill=15)
    page.save(png, dpi=(200, 200))
    column = [Row("GIÁM ĐỐC", 300, 200, True), Row("Lê Văn Tuấn", 300, 500, True)]
    engine = _ColumnEngine(column, whole=[])
    got = dark_ink_page(png, 3, tmp_path / "again", engine=engine, languages="vie")
    assert got is not None and got.index == 3
    assert engine.widths == [PAGE_WIDTH - round(PAGE_WIDTH * SIGNATURE_COLUMN)]
    assert signer_from_page(got)[0] == "Lê Văn Tuấn"


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
    # a second look is held to the same: its name is no surer than the first reading's
    alone = _signer_page()
    page = replace(alone, words=tuple(replace(w, text="Đừng") if w.text == "Nguyễn" else w for w in alone.words))
    assert signer_from_page(page)[2] < 0.85 * signer_from_page(alone)[2]

"""Layout-aware reading: synthetic pages of word boxes in the Nghị định 30 layout, read by position.

Each page is built from lines placed where Phụ lục I puts them (issuer top left, motto top right,
number and date under them, type and subject centred, body full width, recipients bottom left,
signer bottom right). Word order in the page follows tesseract's habit of reading a column
block by block, so line order alone would not give the answers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from sohoa.core.domain import Metadata, OcrWord, PageText
from sohoa.ingest.metadata import extract_metadata
from sohoa.ingest.metadata.filing import file_document
from sohoa.ingest.metadata.pagejson import dump_pages, load_pages

CHAR = 20  # pixels per character
HEIGHT = 40
PITCH = 50  # line pitch: 10 px between lines
LEFT, RIGHT = 300, 2200  # the text area
MIDDLE = (LEFT + RIGHT) // 2


@dataclass(frozen=True)
class Row:
    text: str
    x: int  # left edge, or the centre with centred=True
    y: int
    centred: bool = False
    conf: float = 95.0


def _words(rows: list[Row], block_start: int = 1) -> tuple[OcrWord, ...]:
    out: list[OcrWord] = []
    for block, row in enumerate(rows, block_start):
        width = len(row.text) * CHAR
        x = row.x - width // 2 if row.centred else row.x
        for word in row.text.split():
            out.append(OcrWord(word, x, row.y, len(word) * CHAR, HEIGHT, row.conf, block=block, line=1))
            x += (len(word) + 1) * CHAR
    return tuple(out)


def _page(index: int, *groups: list[Row]) -> PageText:
    """A page whose blocks come in the order given (OCR reads column blocks one after another)."""
    words: list[OcrWord] = []
    for group in groups:
        words += _words(group, block_start=len(words) + 1)
    text = "\n".join(" ".join(w.text for w in words if w.block == b) for b in sorted({w.block for w in words}))
    return PageText(index, text, "ocr", words=tuple(words), confidence=95.0)


LEFT_C, RIGHT_C = 700, 1700  # header column centres


def _header(
    number: str = "Số: 15/QĐ-UBND", date: str = "Lào Cai, ngày 12 tháng 3 năm 2025"
) -> tuple[list[Row], list[Row]]:
    left = [
        Row("ỦY BAN NHÂN DÂN", LEFT_C, 200, True),
        Row("TỈNH LÀO CAI", LEFT_C, 250, True),
        *([Row(number, LEFT_C, 330, True)] if number else []),
    ]
    right = [
        Row("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_C, 200, True),
        Row("Độc lập - Tự do - Hạnh phúc", RIGHT_C, 250, True),
        Row(date, RIGHT_C, 330, True),
    ]
    return left, right


def _full(text: str) -> str:
    """A body line padded with words to the full width, as justified text fills it."""
    filler = " thực hiện theo quy định hiện hành"
    while len(text) < (RIGHT - LEFT) // CHAR - len(filler):
        text += filler
    return text


def _body_rows(y: int, lines: list[str]) -> list[Row]:
    return [Row(_full(line), LEFT, y + i * PITCH) for i, line in enumerate(lines)]


def _signature(y: int, name: str = "Nguyễn Văn Hòa", seal: bool = False) -> tuple[list[Row], list[Row]]:
    recipients = [
        Row("Nơi nhận:", LEFT, y),
        Row("- Như trên;", LEFT, y + PITCH),
        Row("- Lưu: VT.", LEFT, y + 2 * PITCH),
    ]
    signer = [
        Row("KT. CHỦ TỊCH", 1750, y, True),
        Row("PHÓ CHỦ TỊCH", 1750, y + PITCH, True),
    ]
    if seal:
        # the seal's ring and star read as specks and stray letters at low confidence
        signer += [Row("ÿ .ƒ", 1650, y + 2 * PITCH, True, 21.0), Row("Ó ,", 1600, y + 3 * PITCH, True, 18.0)]
    signer.append(Row(name, 1750, y + 6 * PITCH, True, 40.0 if seal else 95.0))
    return recipients, signer


SEVEN = [
    "VỀ VIỆC CÔNG BỐ DANH MỤC THỦ TỤC HÀNH CHÍNH",
    "MỚI BAN HÀNH, ĐƯỢC SỬA ĐỔI, BỔ SUNG, THAY THẾ",
    "TRONG LĨNH VỰC LƯU THÔNG HÀNG HÓA TRONG NƯỚC",
    "THUỘC PHẠM VI CHỨC NĂNG QUẢN LÝ CỦA SỞ CÔNG THƯƠNG",
    "ÁP DỤNG TRÊN ĐỊA BÀN TỈNH LÀO CAI GIAI ĐOẠN 2025",
    "THỰC HIỆN CHÍNH SÁCH HỖ TRỢ NHÀ Ở THEO QUYẾT ĐỊNH SỐ",
    "22/2013/QĐ-TTG",
]


def _decision(subject: list[str], header: tuple[list[Row], list[Row]] | None = None) -> list[PageText]:
    left, right = header or _header()
    y = 450
    title = [Row("QUYẾT ĐỊNH", MIDDLE, y, True)]
    block = [Row(line, MIDDLE, y + (i + 1) * PITCH, True) for i, line in enumerate(subject)]
    y_after = y + (len(subject) + 1) * PITCH + 60  # the rule under the subject leaves a gap
    authority = [Row("CHỦ TỊCH ỦY BAN NHÂN DÂN TỈNH LÀO CAI", MIDDLE, y_after, True)]
    body = _body_rows(y_after + 2 * PITCH, ["Căn cứ Luật Tổ chức chính quyền địa phương;", "Điều 1. Công bố kèm theo"])
    recipients, signer = _signature(y_after + 6 * PITCH)
    return [_page(0, right, left, title, block, authority, body, signer, recipients)]


def test_a_seven_line_centred_subject_is_read_whole() -> None:
    got = extract_metadata(_decision(SEVEN))
    want = " ".join(SEVEN).removeprefix("VỀ VIỆC ")
    assert got.document_type == "Quyết định"
    assert got.subject is not None and got.subject.upper() == want.upper()
    assert got.number_symbol == "15/QĐ-UBND" and got.issued_date == "2025-03-12"


def test_a_one_line_subject_stops_at_the_gap_before_the_issuing_authority() -> None:
    got = extract_metadata(_decision(["VỀ VIỆC BAN HÀNH QUY CHẾ LÀM VIỆC"]))
    assert got.subject is not None and got.subject.upper() == "BAN HÀNH QUY CHẾ LÀM VIỆC"


def _letter(number: str, date: str, body: list[str]) -> list[PageText]:
    left, right = _header(number=number, date=date)
    left.append(Row("V/v hướng dẫn thực hiện chế độ", LEFT_C, 380, True))
    left.append(Row("điều dưỡng người có công", LEFT_C, 430, True))
    kinh_gui = [Row("Kính gửi: Sở Tài chính", MIDDLE, 560, True)]
    rows = _body_rows(640, body)
    recipients, signer = _signature(640 + (len(body) + 2) * PITCH)
    return [_page(0, left, right, kinh_gui, rows, recipients, signer)]


CITING = [
    "Trả lời Công văn số 4643/VPCP-CN ngày 05 tháng 6 năm 2024 của Văn phòng Chính phủ",
    "Thực hiện Quyết định số 22/2013/QĐ-TTg ngày 26/4/2013 của Thủ tướng Chính phủ",
]


def test_a_number_and_a_date_cited_in_the_body_are_not_the_documents_own() -> None:
    got = extract_metadata(_letter("Số: 9973/UBND-KT", "Lào Cai, ngày 20 tháng 7 năm 2025", CITING))
    assert got.number_symbol == "9973/UBND-KT"
    assert got.issued_date == "2025-07-20"
    assert got.issuer == "Ủy ban nhân dân tỉnh Lào Cai"
    assert got.document_type == "Công văn"
    assert got.subject == "hướng dẫn thực hiện chế độ điều dưỡng người có công"


def test_without_a_number_in_the_header_none_is_taken_from_the_body_and_review_is_asked() -> None:
    pages = _letter("", "Lào Cai, ngày 20 tháng 7 năm 2025", CITING)
    got = extract_metadata(pages)
    assert got.number_symbol is None and got.number is None
    filing = file_document(pages, policy="auto", upload_procedure_code="1.001234")
    assert "missing:number_symbol" in filing.reasons


def test_a_blank_day_and_month_stay_blank_while_the_body_has_dates() -> None:
    pages = _letter("Số: 12/UBND-KT", "Lào Cai, ngày      tháng      năm 2026", CITING)
    got = extract_metadata(pages)
    assert got.issued_date is None
    assert got.issued_date_text == "Lào Cai, ngày tháng năm 2026"
    assert got.issued_place == "Lào Cai"


def test_a_blank_day_keeps_the_printed_month() -> None:
    got = extract_metadata(_letter("Số: 12/UBND-KT", "Lào Cai, ngày      tháng 8 năm 2026", CITING))
    assert got.issued_date is None and got.issued_date_text == "Lào Cai, ngày tháng 8 năm 2026"


def test_a_number_sharing_its_row_with_the_date_is_kept_apart_from_the_issuer() -> None:
    left, right = _header(number="", date="Lào Cai, ngày 02 tháng 5 năm 2025")
    # the number's row is read as one line with the date; its number was left blank
    row = [Row("Số:", 500, 330), Row("/KH-SCT", 620, 330), Row("Lào Cai, ngày 02 tháng 5 năm 2025", 1300, 330)]
    merged = tuple(
        OcrWord(w.text, w.left, w.top, w.width, w.height, w.confidence, block=99, line=1) for w in _words(row)
    )
    right = [r for r in right if "ngày" not in r.text]
    page = _page(0, left, right, [Row("KẾ HOẠCH", MIDDLE, 450, True), Row("Tổ chức hội chợ", MIDDLE, 500, True)])
    page = PageText(0, page.text, "ocr", words=page.words + merged, confidence=95.0)
    got = extract_metadata([page])
    assert got.number_symbol == "/KH-SCT" and got.number is None
    assert got.issuer == "Ủy ban nhân dân tỉnh Lào Cai"
    assert got.issued_date == "2025-05-02"


def test_a_seal_over_the_signer_block_leaves_a_readable_name_and_sends_a_garbled_one_to_review() -> None:
    left, right = _header()
    recipients, signer = _signature(1200, seal=True)
    body = _body_rows(600, ["Căn cứ Luật Tổ chức chính quyền địa phương;", "Điều 1. Giao Sở Tài chính"])
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    readable = extract_metadata([_page(0, left, right, title, body, signer, recipients)])
    assert readable.signer_name == "Nguyễn Văn Hòa"
    assert readable.signer_authority == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")

    recipients, signer = _signature(1200, name="Ó GIÁM Ố", seal=True)
    pages = [_page(0, left, right, title, body, signer, recipients)]
    filing = file_document(pages, policy="auto", upload_procedure_code="1.001234")
    assert any(r.endswith(":signer_name") for r in filing.reasons), filing.reasons


def test_a_title_line_the_seal_left_half_of_is_not_taken_for_the_signer() -> None:
    # ``CHÁNH VĂN PHÒNG`` under a seal: OCR keeps ``VĂN PHÒNG`` alone, two capitalised words
    # between the authority and the name; the name is the line printed in lower case below it
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    body = _body_rows(600, ["Căn cứ Luật Tổ chức chính quyền địa phương;", "Điều 1. Giao Sở Tài chính"])
    recipients, _ = _signature(1200)
    signer = [
        Row("TL. GIÁM ĐỐC", 1750, 1200, True),
        Row("VĂN PHÒNG", 1800, 1250, True, 60.0),
        Row("Lý Minh Phúc", 1750, 1500, True),
    ]
    got = extract_metadata([_page(0, left, right, title, body, signer, recipients)])
    assert got.signer_name == "Lý Minh Phúc"
    assert got.signer_authority[0] == "TL. GIÁM ĐỐC"


def _glued_header(token: str, conf: float) -> PageText:
    """A decision whose issuer's first line and the motto OCR read as one line, ``token`` between them."""
    rows = [
        Row(f"BỘ LAO ĐỘNG - THƯƠNG {token} HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 300, 200),
        Row("VÀ XÃ HỘI", LEFT_C, 250, True),
        Row("Độc lập - Tự do - Hạnh phúc", RIGHT_C, 250, True),
        Row("Số: 15/QĐ-BLĐTBXH", LEFT_C, 330, True),
        Row("Hà Nội, ngày 12 tháng 3 năm 2025", RIGHT_C, 330, True),
    ]
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán", MIDDLE, 500, True)]
    body = _body_rows(600, ["Căn cứ Luật Tổ chức chính quyền địa phương;", "Điều 1. Giao Sở Tài chính"])
    recipients, signer = _signature(1200)
    page = _page(0, rows, title, body, signer, recipients)
    words = tuple(replace(w, confidence=conf) if w.text == token else w for w in page.words)
    return replace(page, words=words)


def test_an_issuer_that_lost_its_last_word_into_a_garbled_motto_goes_to_review() -> None:
    # the columns nearly touch: OCR read ``binh`` and ``CỘNG`` as one unsure token
    filing = file_document([_glued_header("BIWWỀNG", 41.0)], policy="auto", upload_procedure_code="1.001234")
    assert "hòa xã hội" not in (filing.printed.issuer or "").lower()
    assert "low_confidence:issuer" in filing.reasons, (filing.printed.issuer, filing.reasons)
    # the motto read right beside the issuer, or its first word lost altogether, leaves the issuer whole and sure
    for token in ("BINH CỘNG", "BINH"):
        clean = file_document([_glued_header(token, 93.0)], policy="auto", upload_procedure_code="1.001234")
        assert clean.printed.issuer == "Bộ Lao động - Thương binh và Xã hội", token
        assert not any(r.endswith(":issuer") for r in clean.reasons), clean.reasons


def test_specks_read_off_a_rule_cast_no_doubt_on_the_words_beside_them() -> None:
    # the rule under the number and the one under the title read as ``-`` and `` ` :`` at low
    # confidence, on the rows of the number and of the subject
    left, right = _header(number="Số: 1040/QĐ-UBND -")
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("HỖ TRỢ NGƯỜI CÓ CÔNG VỀ NHÀ Ở", MIDDLE, 500, True)]
    speck = [Row("` :", 1500, 500)]
    body = _body_rows(600, ["Căn cứ Luật Tổ chức chính quyền địa phương;", "Điều 1. Giao Sở Tài chính"])
    recipients, signer = _signature(1200)
    page = _page(0, right, left, title, speck, body, signer, recipients)
    page = replace(page, words=tuple(replace(w, confidence=4.0) if w.text in "-`:" else w for w in page.words))
    filing = file_document([page], policy="auto", upload_procedure_code="1.001234")
    assert filing.printed.number_symbol == "1040/QĐ-UBND"
    assert filing.printed.subject == "HỖ TRỢ NGƯỜI CÓ CÔNG VỀ NHÀ Ở"
    assert filing.printed.confidence["number_symbol"] > 0.8 and filing.printed.confidence["subject"] > 0.7
    assert filing.reasons == (), filing.reasons


def _subject_and_body(subject: str, subject_conf: float, body: list[str]) -> list[PageText]:
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row(subject, MIDDLE, 500, True, subject_conf)]
    rows = _body_rows(600, ["Căn cứ Luật Tổ chức chính quyền địa phương;", *body])
    recipients, signer = _signature(1200)
    return [_page(0, left, right, title, rows, signer, recipients)]


def test_a_subject_word_takes_the_marks_the_document_prints_surely_elsewhere() -> None:
    # bold capitals read ``LỤC`` unsure; the body prints ``năng lực`` twice, read surely
    pages = _subject_and_body(
        "NÂNG CAO NĂNG LỤC HOẠT ĐỘNG Y TẾ CƠ SỞ",
        74.0,
        ["Điều 1. Nâng cao năng lực hoạt động của các trạm", "Điều 2. Đánh giá năng lực của đội ngũ"],
    )
    assert extract_metadata(pages).subject == "NÂNG CAO NĂNG LỰC HOẠT ĐỘNG Y TẾ CƠ SỞ"


def test_a_subject_read_surely_keeps_its_marks_whatever_the_body_was_read_as() -> None:
    body = ["Điều 1. Phân bổ chỉ tiết kinh phí cho các đơn vị", "Điều 2. Kế hoạch chỉ tiết được gửi kèm"]
    sure = _subject_and_body("PHÂN BỔ CHI TIẾT DANH MỤC DỰ ÁN", 96.0, body)
    assert extract_metadata(sure).subject == "PHÂN BỔ CHI TIẾT DANH MỤC DỰ ÁN"
    once = _subject_and_body("NÂNG CAO NĂNG LỤC HOẠT ĐỘNG", 74.0, ["Điều 1. Nâng cao năng lực hoạt động"])
    assert extract_metadata(once).subject == "NÂNG CAO NĂNG LỤC HOẠT ĐỘNG"  # seen once: no evidence


def test_a_signature_block_on_the_page_after_the_body() -> None:
    left, right = _header()
    title = [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc giao dự toán ngân sách", MIDDLE, 500, True)]
    body = _body_rows(640, [f"Điều {i}. Giao dự toán cho các đơn vị" for i in range(1, 40)])
    recipients, signer = _signature(300)
    pages = [_page(0, left, right, title, body), _page(1, [Row("2", MIDDLE, 120, True)], signer, recipients)]
    got = extract_metadata(pages)
    assert got.signer_name == "Nguyễn Văn Hòa"
    assert got.signer_title == "PHÓ CHỦ TỊCH"
    assert got.recipients == ("Như trên", "Lưu: VT")
    assert got.subject == "giao dự toán ngân sách"


def test_the_ocr_stage_pages_file_keeps_every_word_box() -> None:
    pages = _decision(SEVEN)
    back = load_pages(dump_pages(pages))
    assert back == tuple(pages)
    assert extract_metadata(back) == extract_metadata(pages)


def test_page_texts_without_word_boxes_still_read_by_line_order() -> None:
    pages = _decision(SEVEN)
    text_only = [PageText(p.index, p.text, "text_layer") for p in pages]
    got: Metadata = extract_metadata(text_only)
    assert got.number_symbol == "15/QĐ-UBND" and got.document_type == "Quyết định"


def test_the_header_is_found_by_position_whatever_order_ocr_read_the_blocks_in() -> None:
    (page,) = _letter("Số: 9973/UBND-KT", "Lào Cai, ngày 20 tháng 7 năm 2025", CITING)
    by_block: dict[int, list[OcrWord]] = {}
    for w in page.words:
        by_block.setdefault(w.block, []).append(w)
    # the body's blocks first, the header's last: a reading order tesseract does produce
    blocks = sorted(by_block, key=lambda b: -by_block[b][0].top)
    words = tuple(w for b in blocks for w in by_block[b])
    got = extract_metadata([PageText(0, page.text, "ocr", words=words, confidence=95.0)])
    assert got.number_symbol == "9973/UBND-KT"
    assert got.issued_date == "2025-07-20"
    assert got.issuer == "Ủy ban nhân dân tỉnh Lào Cai"


@pytest.mark.parametrize(
    ("printed", "kept"),
    [
        ("ngày ..... tháng", "ngày ..... tháng"),  # the dots are printed: kept as printed
        ("ngày - tháng", "ngày tháng"),  # a speck OCR read in the blank is not
    ],
)
def test_a_blank_day_printed_with_dots_or_read_as_a_speck_stays_blank(printed: str, kept: str) -> None:
    got = extract_metadata(_letter("Số: 12/UBND-KT", f"Lào Cai, {printed} 8 năm 2026", CITING))
    assert got.issued_date is None and got.issued_date_text == f"Lào Cai, {kept} 8 năm 2026"


def test_a_date_whose_blank_day_leaves_a_wide_gap_stays_one_line() -> None:
    # tesseract reads the date as one line; the blank for the day is wider than the gap between
    # the header's columns, and the line's first half sits where the left column ends
    left, right = _header(date="")
    row = [Row("Lào Cai, ngày", 1000, 330), Row("tháng 8 năm 2026", 1500, 330)]
    date = tuple(OcrWord(w.text, w.left, w.top, w.width, w.height, w.confidence, block=98, line=1) for w in _words(row))
    right = [r for r in right if r.text]
    page = _page(0, left, right, [Row("KẾ HOẠCH", MIDDLE, 450, True), Row("Tổ chức hội chợ", MIDDLE, 500, True)])
    page = PageText(0, page.text, "ocr", words=page.words + date, confidence=95.0)
    got = extract_metadata([page])
    assert got.issued_date is None
    assert got.issued_date_text == "Lào Cai, ngày tháng 8 năm 2026" and got.issued_place == "Lào Cai"


def test_an_agency_name_wrapped_after_its_hyphen_keeps_it() -> None:
    left = [
        Row("BỘ LAO ĐỘNG -", LEFT_C, 200, True),
        Row("THƯƠNG BINH VÀ XÃ HỘI", LEFT_C, 250, True),
        Row("Số: 15/QĐ-LĐTBXH", LEFT_C, 330, True),
    ]
    _, right = _header()
    page = _page(0, left, right, [Row("QUYẾT ĐỊNH", MIDDLE, 450, True), Row("Về việc khen thưởng", MIDDLE, 500, True)])
    assert extract_metadata([page]).issuer == "Bộ Lao động - Thương binh và Xã hội"


def test_a_speck_hyphen_ending_the_parent_agency_does_not_join_the_agency_below() -> None:
    # both names wrapped in a narrow column; OCR read a hyphen off the row's noise after the parent's
    # last word: the next line opens an agency of its own, so the hyphen carries nothing on
    left = [
        Row("UBND TỈNH LÀO", LEFT_C, 200, True),
        Row("CAI -", LEFT_C, 240, True),
        Row("SỞ NÔNG NGHIỆP", LEFT_C, 280, True),
        Row("VÀ MÔI TRƯỜNG", LEFT_C, 320, True),
        Row("Số: 98/KH-SNNMT", LEFT_C, 380, True),
    ]
    _, right = _header()
    page = _page(0, left, right, [Row("KẾ HOẠCH", MIDDLE, 450, True), Row("Tổ chức hội chợ", MIDDLE, 500, True)])
    got = extract_metadata([page])
    assert (got.issuer, got.parent_issuer) == ("Sở Nông nghiệp và Môi trường", "UBND tỉnh Lào Cai")

"""Corrections only where the evidence is clear, and doubt sent to review under ``auto``."""

from __future__ import annotations

import datetime as dt

import pytest

from sohoa.core.domain import Metadata, PageText
from sohoa.ingest.metadata import extract_metadata
from sohoa.ingest.metadata.correct import correct_subject
from sohoa.ingest.review_rules import implausible_fields, review_reasons
from tests.ingest.labelled.generator import compose

TODAY = dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("read", "right"),
    [
        ("CÁC TRƯỜNG HỢP ĐƯUỢC HỖ TRỢ", "CÁC TRƯỜNG HỢP ĐƯỢC HỖ TRỢ"),  # a mark's stroke read as a letter
        ("TĂNG CƯỜNG CÔNG TÁC PHÒNG, CHÔNG THIÊN TAI", "TĂNG CƯỜNG CÔNG TÁC PHÒNG, CHỐNG THIÊN TAI"),
        ("VẼ VIỆC BAN HÀNH QUY CHẾ", "VỀ VIỆC BAN HÀNH QUY CHẾ"),
        # before a year only ``năm`` reads: ``nắm`` (to grasp) is a syllable but not there
        ("định hướng đến nắm 2030 trên địa bàn tỉnh", "định hướng đến năm 2030 trên địa bàn tỉnh"),
        ("GIAI ĐOẠN ĐẾN NẰM 2030", "GIAI ĐOẠN ĐẾN NĂM 2030"),
    ],
)
def test_ocr_confusions_are_put_right_where_the_evidence_is_clear(read: str, right: str) -> None:
    assert correct_subject(read) == right


@pytest.mark.parametrize(
    "text",
    [
        "hướng dẫn vẽ bản đồ địa chính",  # vẽ is right here
        "hỗ trợ đồng bào huyện Krông Pắc",  # a name in another language of Vietnam
        "phòng, chống tham nhũng",
        "CHÔNG GAI TRÊN ĐƯỜNG",  # a valid word no phrase vouches against
        "chiến lược phát triển ngành đến Việt Nam 2030",  # the country before a year
        "nắm tình hình năm 2030",  # ``nắm`` not before a year
    ],
)
def test_valid_readings_are_left_alone(text: str) -> None:
    assert correct_subject(text) == text


def test_a_signer_title_with_its_marks_lost_is_spelled_again() -> None:
    doc = compose(seed=21, authority=("TL. TỔNG CỤC TRƯỞNG", "KT. VỤ TRƯỞNG", "PHÓ VỤ TRƯỞNG"))
    text = doc.pages[0].replace("PHÓ VỤ TRƯỞNG", "PHO VỤ TRƯƠNG")
    got = extract_metadata([PageText(0, text, "ocr", confidence=80.0)])
    assert got.signer_title == "PHÓ VỤ TRƯỞNG"


RIGHT = Metadata(
    document_type="Quyết định",
    number_symbol="15/QĐ-UBND",
    issued_date="2025-03-12",
    issuer="Ủy ban nhân dân tỉnh Lào Cai",
    subject="Ban hành Quy chế làm việc",
    signer_name="Nguyễn Văn Hòa",
    confidence=dict.fromkeys(
        ("document_type", "number_symbol", "issued_date", "issuer", "subject", "signer_name"), 0.9
    ),
)


def test_a_plausible_document_is_archived_without_review() -> None:
    assert implausible_fields(RIGHT, today=TODAY) == ()
    assert review_reasons(RIGHT, policy="auto", today=TODAY, upload_procedure_code="1.001234") == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("issuer", "Sở Công Thương /KH - SCT"),  # the number line run into the agency
        ("issuer", "Số: 9973/UBNDKT"),
        ("signer_name", "Ó GIÁM Ố"),
        ("signer_name", "Bộ CA"),
        ("subject", "Hỗ trợ người có công với cách mạng về nhà ở theo QĐ số"),  # its last line lost
        ("subject", "Tăng cường công tác phòng, chống thiên tai và"),
        ("number_symbol", "4643/VPCP CN ngày"),
        ("issued_date", "2031-05-02"),
        ("issued_date", "1930-01-01"),
    ],
)
def test_an_implausible_value_sends_the_document_to_review(field: str, value: str) -> None:
    doubtful = Metadata.from_dict({**RIGHT.to_dict(), field: value})
    assert implausible_fields(doubtful, today=TODAY) == (field,)
    assert f"implausible:{field}" in review_reasons(doubtful, policy="auto", today=TODAY)
    assert review_reasons(doubtful, policy="never", today=TODAY) == ()


@pytest.mark.parametrize(
    ("symbol", "doc_type"),
    [
        ("12/TTr-UBND", "Tờ trình"),
        ("31/CT-TTg", "Chỉ thị"),
        ("/KH-SCT", "Kế hoạch"),
        ("22/2013/QĐ-TTg", "Quyết định"),
        ("1414/TCT-CS", "Công văn"),  # a letter's symbol starts with its agency's abbreviation
    ],
)
def test_real_number_shapes_are_plausible(symbol: str, doc_type: str) -> None:
    metadata = Metadata.from_dict({**RIGHT.to_dict(), "number_symbol": symbol, "document_type": doc_type})
    assert implausible_fields(metadata, today=TODAY) == ()


def test_a_symbol_whose_type_code_is_not_the_titles_is_doubted() -> None:
    metadata = Metadata.from_dict({**RIGHT.to_dict(), "number_symbol": "2/TIT-BTC", "document_type": "Tờ trình"})
    assert implausible_fields(metadata, today=TODAY) == ("number_symbol",)


def test_a_type_code_one_letter_off_under_its_title_is_put_right() -> None:
    doc = compose(seed=22, kind="titled", type_name="Tờ trình", type_code="TTr", title="TỜ TRÌNH")
    text = doc.pages[0].replace("/TTr-", "/TIr-")
    got = extract_metadata([PageText(0, text, "ocr", confidence=85.0)])
    assert got.number_symbol == doc.labels["number_symbol"]


def test_a_hyphen_ocr_doubled_in_a_symbol_is_one() -> None:
    # ``Số:      /TTr--SNNMT``: the number left blank for the hand, the symbol's hyphen read twice;
    # the symbol stopped at ``TTr`` and was archived so
    doc = compose(seed=5)
    text = doc.pages[0]
    line = next(x for x in text.splitlines() if x.startswith("Số:"))
    number, symbol = line.removeprefix("Số:").strip().split("/", 1)[0], line.split("/")[-1]
    head, _, rest = symbol.partition("-")
    damaged = text.replace(line, f"Số:        /{head}--{rest}")
    got = extract_metadata([PageText(index=0, text=damaged, source="ocr", confidence=90.0)])
    assert got.symbol == symbol and got.number_symbol == f"/{symbol}", (number, got.number_symbol)


def test_a_number_line_with_a_speck_before_it_is_no_part_of_the_issuer() -> None:
    # ``_S6:1414TCTCS``: the rule under the issuer read as ``_`` onto a number line OCR garbled
    doc = compose(seed=5)
    text = doc.pages[0]
    line = next(x for x in text.splitlines() if x.startswith("Số:"))
    damaged = text.replace(line, "_S6:1414TCTCS")
    got = extract_metadata([PageText(index=0, text=damaged, source="ocr", confidence=90.0)])
    assert got.issuer == doc.labels["issuer"]


def test_an_agency_word_ocr_gave_two_tone_marks_is_still_the_agency() -> None:
    # ``TỔỐNG CỤC THUẾ``: no syllable, so no agency head, and the agency was read into its parent's name
    doc = compose(seed=5)
    text = doc.pages[0]
    agency = text.split("\nCỘNG HÒA", 1)[0]  # the seed's parent and agency lines
    damaged = text.replace(agency, "BỘ TÀI CHÍNH\nTỔỐNG CỤC THUẾ", 1)
    got = extract_metadata([PageText(index=0, text=damaged, source="ocr", confidence=90.0)])
    assert got.issuer == "Tổng cục Thuế" and got.parent_issuer == "Bộ Tài chính"

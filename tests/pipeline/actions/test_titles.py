"""What a document is called on result lists and its page: the subject cleaned of OCR's capitals."""

from __future__ import annotations

import pytest

from sohoa.pipeline.actions.documents import clean_subject, document_title
from sohoa.storage.records import DocumentRecord


@pytest.mark.parametrize(
    ("read", "title"),
    [
        (
            "CẤP GIẤY PHÉP KINH DOANH KARAOKE CHO CÔNG TY TNHH",
            "Cấp giấy phép kinh doanh karaoke cho công ty TNHH",
        ),
        ("BAN HÀNH QUY CHẾ LÀM VIỆC CỦA UBND TỈNH KHÓA XIV", "Ban hành quy chế làm việc của UBND tỉnh khóa XIV"),
        ("PHÒNG, CHỐNG DỊCH COVID-19  NĂM 2025", "Phòng, chống dịch COVID-19 năm 2025"),
        ("cấp giấy phép tại phường Tân Phong", "Cấp giấy phép tại phường Tân Phong"),  # sentence case kept
    ],
)
def test_a_subject_in_capitals_becomes_a_sentence(read: str, title: str) -> None:
    assert clean_subject(read) == title


def test_without_a_subject_the_type_and_number_then_the_file_name() -> None:
    typed = DocumentRecord(filename="scan.pdf", metadata_json={"document_type": "Giấy phép", "number_symbol": "5/GP"})
    assert document_title(typed) == "Giấy phép 5/GP"
    assert document_title(DocumentRecord(filename="scan.pdf", metadata_json=None)) == "scan.pdf"

from __future__ import annotations

from datetime import date

import pytest

from sohoa.ingest.metadata.owners import read_owner_ids, read_validity


def _ids(text: str) -> list[tuple[str, str]]:
    return [(c.id_type, c.id_number) for c in read_owner_ids(text)]


def test_labelled_ids_of_every_kind_are_read_once() -> None:
    text = (
        "Cấp cho ông Nguyễn Văn An, CCCD số: 001 085 012 389 cấp ngày 01/01/2021\n"
        "Số định danh cá nhân: 001085012389\n"
        "CMND số 271234567; Hộ chiếu số C1234567\n"
        "Mã số doanh nghiệp: 0312345678-001, MST 0398765432 12/2024\n"
    )
    assert _ids(text) == [
        ("cccd", "001085012389"),
        ("cmnd", "271234567"),
        ("passport", "C1234567"),
        ("mst", "0312345678-001"),
        ("mst", "0398765432"),
    ]


def test_numbers_without_a_label_or_a_province_are_no_candidates() -> None:
    assert _ids("Số định danh cá nhân: 003085012389") == []  # 003 is no province
    assert _ids("Điện thoại 0912345678, số tài khoản 001085012389") == []


def test_confidence_follows_the_page() -> None:
    (candidate,) = read_owner_ids("CCCD số 079185000123", ocr_confidence=80)
    assert candidate.confidence == pytest.approx(0.76)


@pytest.mark.parametrize(
    ("text", "issued", "expected"),
    [
        ("Giấy phép có giá trị đến ngày 31 tháng 12 năm 2030.", None, (None, date(2030, 12, 31))),
        ("Giấy phép có hiệu lực đến hết ngày 31/12/2030", None, (None, date(2030, 12, 31))),
        ("có giá trị từ ngày 01/04/2025 đến ngày 01/04/2030", None, (date(2025, 4, 1), date(2030, 4, 1))),
        ("Giấy phép có thời hạn 05 năm kể từ ngày ký", "2025-03-12", (None, date(2030, 3, 12))),
        ("Thời hạn: 10 (mười) năm", "2024-02-29", (None, date(2034, 2, 28))),
        ("Thời hạn 5 năm", None, (None, None)),  # no issue date to count from
        ("Quyết định có hiệu lực kể từ ngày ký.", "2025-03-12", (None, None)),
        ("Nghị định này có hiệu lực thi hành từ ngày 01/6/2013.", None, (None, None)),
        ("Chứng chỉ có giá trị kể từ ngày ký đến hết ngày 15 tháng 9\nnăm 2032.", None, (None, date(2032, 9, 15))),
    ],
)
def test_validity_as_printed(text: str, issued: str | None, expected: tuple[date | None, date | None]) -> None:
    assert read_validity(text, issued) == expected

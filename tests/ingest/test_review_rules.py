"""Doubtful values go to review under ``auto``: stray marks in a number and symbol, a name no person
bears, a subject cut off, a date or year outside what a document can carry."""

from __future__ import annotations

import datetime as dt

import pytest

from sohoa.core.domain import Metadata
from sohoa.ingest.review_rules import implausible_fields, plausible_name, review_reasons
from tests.ingest.labelled.vocabulary import GIVEN_NAMES, MIDDLE_NAMES, SURNAMES

TODAY = dt.date(2026, 12, 7)
RIGHT = Metadata(
    document_type="Quyết định",
    number_symbol="15/QĐ-UBND",
    issued_date="2025-03-12",
    issuer="Ủy ban nhân dân tỉnh Lào Cai",
    subject="Ban hành Quy chế làm việc (sửa đổi)",
    signer_name="Nguyễn Văn Hòa",
    confidence=dict.fromkeys(
        ("document_type", "number_symbol", "issued_date", "issuer", "subject", "signer_name"), 0.95
    ),
)


def test_the_right_document_needs_no_review() -> None:
    assert review_reasons(RIGHT, policy="auto", today=TODAY, upload_procedure_code="1.001234") == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number_symbol", "15/QĐ-UBND."),  # a speck after the symbol
        ("number_symbol", "15/QĐ-UBND&"),
        ("number_symbol", "15/.QĐ-UBND"),
        ("number_symbol", "0/QĐ-UBND"),  # numbers start at 1
        ("number_symbol", "15/2035/QĐ-UBND"),  # a year not yet come
        ("number_symbol", "15/1899/QĐ-UBND"),
        ("signer_name", "Nguyễn Văn Ạnhq"),  # a letter OCR added
        ("signer_name", "Nguyễn Văn Xyz"),
        ("signer_name", "Ông Nguyễn Văn Hòa"),  # an honorific read into the name
        ("subject", "Ban hành Quy chế làm việc (sửa đổi"),  # the line that closed it was lost
        ("issued_date", "2027-01-05"),
    ],
)
def test_a_doubtful_value_goes_to_review_even_under_auto(field: str, value: str) -> None:
    doubtful = Metadata.from_dict({**RIGHT.to_dict(), field: value})
    assert implausible_fields(doubtful, today=TODAY) == (field,)
    assert review_reasons(doubtful, policy="auto", today=TODAY, upload_procedure_code="1.001234") == (
        f"implausible:{field}",
    )


@pytest.mark.parametrize("symbol", ["15/2025/QĐ-UBND", "15/2027/QĐ-UBND", "/QĐ-UBND", "1414/QĐ-BXD.QLN"])
def test_real_symbols_stay_plausible(symbol: str) -> None:
    assert implausible_fields(Metadata.from_dict({**RIGHT.to_dict(), "number_symbol": symbol}), today=TODAY) == ()


def test_every_name_of_the_labelled_set_is_plausible() -> None:
    names = [f"{s} {m} {g}" for s in SURNAMES for m in MIDDLE_NAMES for g in GIVEN_NAMES]
    assert [n for n in names if not plausible_name(n)] == []
    assert plausible_name("Đỗ Thị Hà") and plausible_name("Nguyễn Văn A")

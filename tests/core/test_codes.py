"""The day a dossier code carries: the one function that reads ``yymmdd`` out of a mã hồ sơ."""

from __future__ import annotations

from datetime import date

import pytest

from sohoa.core.codes import dossier_code_day, validate_dossier_code, validate_procedure_code
from sohoa.core.errors import InputRejected


@pytest.mark.parametrize(
    ("code", "day"),
    [
        ("000.00.32.H19-250115-0001", date(2025, 1, 15)),
        (" H19.22.10-240229-00017 ", date(2024, 2, 29)),
        ("000.00.32.H19-991231-123456", date(2099, 12, 31)),  # a calendar day; whether it is past is the caller's
    ],
)
def test_a_code_of_the_one_stop_shape_carries_its_day_of_receipt(code: str, day: date) -> None:
    assert dossier_code_day(code) == day


@pytest.mark.parametrize(
    "code",
    [
        "000.00.32.H19-251341-0001",  # month 13, day 41
        "000.00.32.H19-250229-0001",  # 2025 is no leap year
        "000.00.32.h19-250115-0001",  # refused by validate_dossier_code too
        "000.00.32.H19-250115",
        "HS-0001",
        "",
    ],
)
def test_no_day_is_read_from_a_code_that_validation_refuses(code: str) -> None:
    assert dossier_code_day(code) is None
    with pytest.raises(InputRejected) as caught:
        validate_dossier_code(code)
    assert caught.value.code == "invalid_dossier_code"


def test_full_width_codes_read_as_ascii_and_other_digits_are_refused() -> None:
    assert validate_procedure_code("１.００１２３４") == "1.001234"
    assert validate_dossier_code("０００.００.３２.Ｈ１９-２５０３１２-００１７") == "000.00.32.H19-250312-0017"
    assert dossier_code_day("０００.００.３２.Ｈ１９-２５０３１２-００１７") == date(2025, 3, 12)
    for code in ("١.٠٠١٢٣٤", "१.००१२३४"):  # Arabic-Indic, Devanagari: Python's \d would take them
        with pytest.raises(InputRejected) as caught:
            validate_procedure_code(code)
        assert caught.value.code == "invalid_procedure_code"
    with pytest.raises(InputRejected):
        validate_dossier_code("000.00.32.H19-٢٥٠٣١٢-0017")

from __future__ import annotations

import pytest

from sohoa.core.codes import validate_dossier_code
from sohoa.core.errors import InputRejected
from sohoa.core.owners import (
    PROVINCE_CODES,
    OwnerFields,
    OwnerIdType,
    mask_id,
    parse_id_type,
    parse_owner_id,
)
from tests.support.codes import DOSSIER


def test_the_province_list_has_the_63_provinces() -> None:
    assert len(PROVINCE_CODES) == 63
    assert {"001", "079", "075", "096"} <= PROVINCE_CODES
    assert not {"000", "003", "097", "100"} & PROVINCE_CODES


@pytest.mark.parametrize(
    ("kind", "raw", "written"),
    [
        ("cccd", "001 085 012 389", "001085012389"),
        ("CCCD", "075185000123", "075185000123"),
        ("cmnd", "271234567", "271234567"),
        ("passport", "c1234567", "C1234567"),
        ("mst", "0312345678", "0312345678"),
        ("mst", "0312345678-001", "0312345678-001"),
        ("Mã số thuế", "0312345678001", "0312345678-001"),
    ],
)
def test_valid_ids_are_written_one_way(kind: str, raw: str, written: str) -> None:
    assert parse_owner_id(kind, raw).id_number == written


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("cccd", "00108501238"),  # 11 digits
        ("cccd", "003085012389"),  # 003 is no province
        ("cccd", "97108501238X"),
        ("cmnd", "27123456"),
        ("passport", "ABCDEFG"),  # no digit
        ("mst", "031234567"),
        ("mst", "0312345678-01"),
    ],
)
def test_malformed_ids_are_refused_with_the_expected_shape_and_never_the_full_number(kind: str, raw: str) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_owner_id(kind, raw)
    assert caught.value.code == "invalid_owner_id"
    assert "expected" in caught.value.details
    assert raw not in caught.value.message


def test_unknown_id_type_is_refused() -> None:
    with pytest.raises(InputRejected) as caught:
        parse_id_type("bằng lái")
    assert caught.value.code == "invalid_owner_id_type"
    assert parse_id_type("Căn cước công dân") is OwnerIdType.CCCD


def test_owner_fields_give_the_owner_and_the_cleaned_name() -> None:
    owner, name = OwnerFields("CCCD", " 001 085 012 389 ", "  Nguyễn   Văn An ").checked()
    assert owner == parse_owner_id("cccd", "001085012389")
    assert name == "Nguyễn Văn An"
    assert OwnerFields(None, "  ", "Lan").checked() == (None, "Lan")
    assert OwnerFields().checked() == (None, None)


@pytest.mark.parametrize(("kind", "number"), [("cccd", None), (None, "001085012389"), ("  ", "001085012389")])
def test_owner_type_and_number_go_together(kind: str | None, number: str | None) -> None:
    with pytest.raises(InputRejected) as caught:
        OwnerFields(kind, number, "Nguyễn Văn An").checked()
    assert caught.value.code == "owner_id_incomplete"


def test_an_owner_name_past_the_limit_is_refused() -> None:
    with pytest.raises(InputRejected) as caught:
        OwnerFields(name="a" * 501).checked()
    assert caught.value.code == "invalid_request"


def test_masking_shows_three_and_two() -> None:
    assert mask_id("001085012389") == "001*******89"
    assert mask_id("0312345678-001") == "031*******-*01"
    assert mask_id("C1234567") == "C12***67"
    assert parse_owner_id("cccd", "001085012389").masked == "001*******89"


@pytest.mark.parametrize(
    "code",
    [DOSSIER, "H19.22.10-240315-00017", "000.00.01.H19-240402-0042", "000.00.32.H19-250312-123456"],
)
def test_dossier_codes_of_the_one_stop_shape_pass(code: str) -> None:
    assert validate_dossier_code(f" {code} ") == code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "HS-001",
        "000.00.32.H19-250312-017",
        "000.00.32.H19-251399-0017",
        "000.00.32.H19 250312-0017",
        "000.00.32.h19-250312-0017",
        "000.00.32.H19-250312",
    ],
)
def test_other_dossier_codes_are_refused_with_the_expected_shape(code: str) -> None:
    with pytest.raises(InputRejected) as caught:
        validate_dossier_code(code)
    assert caught.value.code == "invalid_dossier_code"
    assert "<agency code>-<yymmdd>-<4+ digit sequence>" in caught.value.message
    assert caught.value.details["expected"].startswith("<agency code>")

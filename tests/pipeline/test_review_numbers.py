"""Correcting the number and symbol keeps its whole (``number_symbol``, shown in titles and download
names) and its parts (``number``, ``number_year``, ``symbol``, which search by number reads) one:
what the person typed wins, the rest is re-derived with extraction's reading of ``Số: ...``, each
derived change an event like a typed one and, once archived, in the stored correction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sohoa.core.errors import InputRejected
from sohoa.pipeline.actions.search import search
from sohoa.pipeline.retention import correction_keys
from sohoa.pipeline.review import correct_metadata, value_from_text
from sohoa.pipeline.runtime import Runtime
from sohoa.storage.catalogue import list_events
from sohoa.storage.search import DocumentFilters, SearchQuery
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image

LINES = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Số: 41/QĐ-SVHTTDL", "QUYẾT ĐỊNH", "Về việc cấp giấy phép karaoke"]
NUMBER_FIELDS = ("number", "number_year", "symbol", "number_symbol")


def _by_number(rt: Runtime, number: str) -> set[str]:
    return {hit.document.id for hit in search(rt, SearchQuery(filters=DocumentFilters(number=number))).hits}


def _numbers(meta: dict) -> tuple:
    return tuple(meta.get(name) for name in NUMBER_FIELDS)


def _corrected(rt: Runtime, doc_id: str) -> dict[str, tuple]:
    with rt.db.session() as session:
        events = [e for e in list_events(session, document_id=doc_id) if e.action == "metadata.corrected"]
    return {e.details["field"]: (e.details["old"], e.details["new"]) for e in events}


@pytest.fixture
def archived(runtime: Runtime, tmp_path: Path) -> str:
    doc = archive_one(runtime, make_text_image(tmp_path / "scan.png", LINES))
    assert _numbers(doc.metadata_json) == (None, None, None, None)  # the fake OCR read no number
    return doc.id


def test_a_corrected_number_symbol_is_found_by_number_and_stored_whole(runtime: Runtime, archived: str) -> None:
    correct_metadata(runtime, archived, {"number_symbol": "41/QĐ-SVHTTDL"}, actor="hoa")
    assert _by_number(runtime, "41/QĐ-SVHTTDL") == {archived}
    doc = correct_metadata(runtime, archived, {"number_symbol": "8424/2025/VPCP-KTTH2"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("8424", 2025, "VPCP-KTTH2", "8424/2025/VPCP-KTTH2")
    assert _by_number(runtime, "8424/2025/VPCP-KTTH2") == {archived}
    assert _by_number(runtime, "8424") == {archived}
    assert _by_number(runtime, "41/QĐ-SVHTTDL") == set()
    assert _corrected(runtime, archived) == {
        "number_symbol": ("41/QĐ-SVHTTDL", "8424/2025/VPCP-KTTH2"),
        "number": ("41", "8424"),
        "number_year": (None, 2025),
        "symbol": ("QĐ-SVHTTDL", "VPCP-KTTH2"),
    }  # the last change of each field: the first correction derived 41 and QĐ-SVHTTDL
    assert all(doc.metadata_json["confidence"][name] == 1.0 for name in NUMBER_FIELDS)
    # the stored correction, which a rebuilt catalogue files, holds the consistent fields too
    keys = correction_keys(runtime.store, doc.archive_key)
    with runtime.store.open(keys[-1]) as fh:
        stored = json.loads(fh.read())
    assert _numbers(stored["metadata"]) == ("8424", 2025, "VPCP-KTTH2", "8424/2025/VPCP-KTTH2")
    assert {c["field"] for c in stored["changes"]} == set(NUMBER_FIELDS)


def test_a_corrected_part_rewrites_the_whole(runtime: Runtime, archived: str) -> None:
    correct_metadata(runtime, archived, {"number_symbol": "41/QĐ-SVHTTDL"}, actor="hoa")
    doc = correct_metadata(runtime, archived, {"number": "42"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("42", None, "QĐ-SVHTTDL", "42/QĐ-SVHTTDL")
    assert _by_number(runtime, "42/QĐ-SVHTTDL") == {archived}
    doc = correct_metadata(runtime, archived, {"number_year": 2025}, actor="hoa")
    assert doc.metadata_json["number_symbol"] == "42/2025/QĐ-SVHTTDL"
    # a symbol typed with its year in front is filed as extraction files it: the year apart
    doc = correct_metadata(runtime, archived, {"symbol": "2024/QĐ-UBND"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("42", 2024, "QĐ-UBND", "42/2024/QĐ-UBND")
    assert _by_number(runtime, "42/2024/QĐ-UBND") == {archived}
    doc = correct_metadata(runtime, archived, {"number": None}, actor="hoa")  # a number left blank
    assert _numbers(doc.metadata_json) == (None, 2024, "QĐ-UBND", "/2024/QĐ-UBND")
    doc = correct_metadata(runtime, archived, {"number_symbol": None}, actor="hoa")
    assert _numbers(doc.metadata_json) == (None, None, None, None)


def test_a_number_without_a_symbol_is_taken_whole(runtime: Runtime, archived: str) -> None:
    # licences and certificates numbered by a serial alone (Số: 0012345)
    doc = correct_metadata(runtime, archived, {"number_symbol": "0012345"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("0012345", None, None, "0012345")
    assert _by_number(runtime, "0012345") == {archived}


def test_a_number_pasted_as_printed_is_filed_as_extraction_files_it(runtime: Runtime, archived: str) -> None:
    # an en dash from a word processor, full-width digits, the Số: label copied with it
    for pasted in ("42/QĐ–SVHTTDL", "４２/QĐ-SVHTTDL", "Số: 42/QĐ-SVHTTDL"):
        doc = correct_metadata(runtime, archived, {"number_symbol": pasted}, actor="hoa")
        assert _numbers(doc.metadata_json) == ("42", None, "QĐ-SVHTTDL", "42/QĐ-SVHTTDL"), pasted
    doc = correct_metadata(runtime, archived, {"symbol": None}, actor="hoa")
    assert doc.metadata_json["number_symbol"] == "42"
    doc = correct_metadata(runtime, archived, {"number_year": 2025}, actor="hoa")
    assert doc.metadata_json["number_symbol"] == "42/2025"
    # what a correction of the parts filed is accepted when typed back
    doc = correct_metadata(runtime, archived, {"number_symbol": "43/2025"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("43", 2025, None, "43/2025")
    for year in (True, 0, 12025):
        with pytest.raises(InputRejected, match="number_year must be a year"):
            correct_metadata(runtime, archived, {"number_year": year}, actor="hoa")


def test_what_the_person_typed_wins_over_what_would_be_derived(runtime: Runtime, archived: str) -> None:
    doc = correct_metadata(runtime, archived, {"number_symbol": "7/QĐ-UBND", "number": "8"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("8", None, "QĐ-UBND", "7/QĐ-UBND")
    doc = correct_metadata(runtime, archived, {"number": "9", "symbol": "TB-UBND"}, actor="hoa")
    assert _numbers(doc.metadata_json) == ("9", None, "TB-UBND", "9/TB-UBND")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"number_symbol": "abc"}, "number_symbol must read as number/symbol"),
        ({"number_symbol": "42/QĐ-UBND thêm"}, "number_symbol must read as number/symbol"),
        ({"number": "42/QĐ-UBND"}, "number must be the digits"),
        ({"symbol": "42/QĐ-UBND"}, "symbol must be what follows the number"),
        ({"issued_date": "27/05/2025"}, "issued_date must be an ISO date (YYYY-MM-DD"),
        ({"issued_date": "2025-02-30"}, "issued_date must be an ISO date (YYYY-MM-DD"),
    ],
)
def test_a_number_or_day_that_does_not_read_is_refused_saying_how_it_should(
    runtime: Runtime, archived: str, changes: dict, says: str
) -> None:
    with pytest.raises(InputRejected) as refused:
        correct_metadata(runtime, archived, changes, actor="hoa")
    assert refused.value.code == "invalid_metadata"
    assert says in str(refused.value)
    assert _corrected(runtime, archived) == {}


def test_a_day_in_another_iso_form_is_filed_as_yyyy_mm_dd(runtime: Runtime, archived: str) -> None:
    doc = correct_metadata(runtime, archived, {"issued_date": "20250527"}, actor="hoa")
    assert doc.metadata_json["issued_date"] == "2025-05-27"


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("number", "42", "42"),
        ("number", '"42"', "42"),
        ("subject", "null", None),
        ("subject", "", None),
        ("subject", "[draft]", "[draft]"),
        ("issued_date", "20250527", "20250527"),
        ("number_year", "2025", 2025),
        ("number_year", "null", None),
        ("recipients", '["Như trên", "Lưu: VT"]', ["Như trên", "Lưu: VT"]),
        ("recipients", "", []),
    ],
)
def test_a_value_typed_as_text_is_read_by_the_field_kind(field: str, text: str, value: object) -> None:
    assert value_from_text(field, text) == value


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        ("number_year", "abc", "number_year must be a whole number"),
        ("recipients", "Như trên", "recipients takes a JSON list of strings"),
        ("recipients", '{"a": 1}', "recipients takes a JSON list of strings"),
        ("signer_authority", "[1]", "signer_authority takes a JSON list of strings"),
        ("colour", "red", "unknown metadata fields: colour"),
    ],
)
def test_a_value_typed_wrong_for_its_field_is_refused(field: str, text: str, says: str) -> None:
    with pytest.raises(InputRejected) as refused:
        value_from_text(field, text)
    assert refused.value.code == "invalid_metadata"
    assert says in str(refused.value)

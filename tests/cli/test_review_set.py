"""``sohoa review set ID FIELD=VALUE``: each value is read by its field's kind (the pipeline's
``value_from_text``, the CLI guesses no type), a value wrong for its field is one line and exit
code 2, and a corrected number and symbol is found by ``search --number``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sohoa.cli.main import app as cli
from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from tests.support.flows import archive_one
from tests.support.pdfs import make_text_image

LINES = ["SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "Số: 41/GP-SVHTTDL", "GIẤY PHÉP", "Kinh doanh dịch vụ karaoke"]


@pytest.fixture
def doc_id(runtime: Runtime, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_REVIEW_POLICY", "never")
    return archive_one(runtime, make_text_image(tmp_path / "scan.png", LINES)).id


def _set(doc_id: str, *assignments: str) -> dict:
    done = CliRunner().invoke(cli, ["review", "set", doc_id, *assignments])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)["metadata"]


def _found_by_number(number: str) -> list[str]:
    done = CliRunner().invoke(cli, ["search", "--number", number, "--json"])
    assert done.exit_code == 0, done.output
    return [hit["id"] for hit in json.loads(done.stdout)]


def test_values_are_read_by_the_field_kind(doc_id: str) -> None:
    meta = _set(doc_id, "number_symbol=41/GP-SVHTTDL", "number=42", "number_year=2025")
    assert (meta["number"], meta["number_year"]) == ("42", 2025)  # typed wins over 41 read from the whole
    meta = _set(doc_id, 'number="43"', "issued_date=20250527", 'recipients=["Như trên", "Lưu: VT"]')
    assert (meta["number"], meta["number_symbol"]) == ("43", "43/2025/GP-SVHTTDL")
    assert (meta["issued_date"], meta["recipients"]) == ("2025-05-27", ["Như trên", "Lưu: VT"])
    meta = _set(doc_id, "subject=null", "signer_name=", "recipients=")
    assert (meta["subject"], meta["signer_name"], meta["recipients"]) == (None, None, [])


def test_a_corrected_number_symbol_is_what_search_by_number_finds(doc_id: str) -> None:
    meta = _set(doc_id, "number_symbol=8424/VPCP-KTTH2")
    assert (meta["number"], meta["number_year"], meta["symbol"]) == ("8424", None, "VPCP-KTTH2")
    assert _found_by_number("8424/VPCP-KTTH2") == [doc_id]
    meta = _set(doc_id, "number=42")
    assert meta["number_symbol"] == "42/VPCP-KTTH2"
    assert _found_by_number("42/VPCP-KTTH2") == [doc_id]
    assert _found_by_number("8424/VPCP-KTTH2") == []


@pytest.mark.parametrize(
    ("assignment", "says"),
    [
        ("number_year=abc", "number_year must be a whole number"),
        ("recipients=Như trên", "recipients takes a JSON list of strings"),
        ("issued_date=27/05/2025", "issued_date must be an ISO date (YYYY-MM-DD"),
        ("number_symbol=abc", "number_symbol must read as number/symbol"),
        ("colour=red", "unknown metadata fields: colour"),
        ("subject", "expected FIELD=VALUE"),
    ],
)
def test_a_value_wrong_for_its_field_is_one_line_and_exit_code_2(doc_id: str, assignment: str, says: str) -> None:
    done = CliRunner().invoke(cli, ["review", "set", doc_id, assignment])
    assert done.exit_code == 2, done.output
    assert says in done.stderr
    assert "Traceback" not in done.output


def test_the_help_says_how_values_are_read() -> None:
    done = CliRunner().invoke(cli, ["review", "set", "--help"], env={"COLUMNS": "200"})
    assert done.exit_code == 0
    text = " ".join(done.stdout.split())
    for told in ("JSON list", "number_year a whole number", "text as typed", "clears the field", "number_symbol"):
        assert told in text

"""``sohoa ingest`` with a role and an owner, ``sohoa dossiers create|show|close`` and ``sohoa owners``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sohoa.cli.main import app
from tests.support.codes import PROCEDURE
from tests.support.pdfs import make_text_image

D1 = "000.00.32.H19-250312-0017"
A_ID = "079185000123"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL", "SOHOA_PKCS12_PATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_REVIEW_POLICY", "never")
    return tmp_path / "var"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ingest_files_a_component_with_its_owner(data_dir: Path, tmp_path: Path) -> None:
    scan = make_text_image(tmp_path / "don.png", ["ĐƠN ĐỀ NGHỊ CẤP GIẤY PHÉP", "Kính gửi: Sở Văn hóa"])
    code, out, err = _run(
        "ingest", str(scan), "--procedure", PROCEDURE, "--dossier", D1, "--role", "component",
        "--component", "Đơn đề nghị cấp giấy phép", "--owner-id-type", "cccd", "--owner-id", A_ID,
        "--owner-name", "Trần Thị Bình", "--json",
    )  # fmt: skip
    assert code == 0, err
    (doc,) = json.loads(out)
    code, out, err = _run("dossiers", "show", D1, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["owner"] == {"id_type": "cccd", "id_number": A_ID, "name": "Trần Thị Bình"}
    assert [(d["id"], d["role"], d["component"]) for d in shown["documents"]] == [
        (doc["id"], "component", "Đơn đề nghị cấp giấy phép")
    ]
    code, out, _ = _run("dossiers", "show", D1, "--json", "--masked")
    assert json.loads(out)["owner"]["id_number"] == "079*******23"
    code, out, _ = _run("owners", "show", "cccd", A_ID, "--json")
    assert [d["id"] for d in json.loads(out)["documents"]] == [doc["id"]]
    code, out, _ = _run("owners", "search", "--name", "tran thi binh", "--json")
    assert json.loads(out) == [{"id_type": "cccd", "id_number": A_ID, "name": "Trần Thị Bình"}]


def test_malformed_owner_or_role_is_one_line_with_the_expected_shape(data_dir: Path, tmp_path: Path) -> None:
    scan = make_text_image(tmp_path / "don.png", ["ĐƠN"])
    code, _, err = _run("ingest", str(scan), "--procedure", PROCEDURE, "--dossier", D1, "--owner-id-type", "cccd",
                        "--owner-id", "097185000123")  # fmt: skip
    assert code == 2 and "invalid_owner_id" in err and "097185000123" not in err and "province" in err
    code, _, err = _run("ingest", str(scan), "--procedure", PROCEDURE, "--role", "component", "--component", "Đơn")
    assert code == 2 and "dossier_required" in err
    code, _, err = _run("dossiers", "create", "HS-2025-001")
    assert code == 2 and "<agency code>-<yymmdd>-<4+ digit sequence>" in err
    code, out, err = _run("dossiers", "create", D1, "--owner-id-type", "mst", "--owner-id", "0312345678001", "--json")
    assert code == 0 and json.loads(out)["owner"]["id_number"] == "0312345678-001", err
    assert _run("dossiers", "create", D1)[0] == 4  # dossier_exists
    code, out, _ = _run("dossiers", "close", D1, "--json")
    assert code == 0 and json.loads(out)["closed"] is True

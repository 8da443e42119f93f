from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from sohoa.cli.registry_cmds import register
from sohoa.core.domain import DocumentState
from sohoa.core.settings import get_settings
from sohoa.registry.export import SHEETS
from sohoa.storage.database import Database
from tests.registry.builders import add_document, dossier_code, register_csv

DAY = date(2025, 3, 14)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    (tmp_path / "var").mkdir()
    root = typer.Typer()
    register(root)
    return root


def _run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_register_import_report_and_refused_lines(app: typer.Typer, tmp_path: Path) -> None:
    rows = [[dossier_code(DAY, i), "1.001029", "Karaoke", "Văn hóa", DAY, DAY, "paper"] for i in range(5)]
    source = tmp_path / "register.csv"
    broken = dossier_code(DAY, 99)
    source.write_bytes(register_csv(rows) + f"{broken},1.001029,Karaoke,,2025-03-14,14.03.2025,paper\n".encode())
    code, out, err = _run(app, "register", "import", str(source))
    assert code == 2  # good rows kept, refused ones listed: a script must notice
    assert "5 inserted" in out and f"line 7 [{broken}]: invalid_date" in err
    code, out, _ = _run(app, "register", "import", str(source), "--json")
    assert json.loads(out)["unchanged"] == 5

    db = Database(get_settings().db_url)
    with db.session() as session:
        for i in (0, 1):
            add_document(session, dossier=dossier_code(DAY, i), state=DocumentState.ARCHIVED)
    db.dispose()

    code, out, _ = _run(app, "report", "--period", "2025-03")
    assert code == 0
    body = json.loads(out)
    assert body["coverage"]["rate"] == 2 / 5 and len(body["missing"]) == 3
    code, out, _ = _run(app, "report", "--period", "2025-Q1", "--format", "csv", "--missing")
    assert [r["dossier_code"] for r in csv.DictReader(io.StringIO(out))] == [dossier_code(DAY, i) for i in (2, 3, 4)]
    workbook = tmp_path / "q1.xlsx"
    code, _, _ = _run(app, "report", "--period", "2025-Q1", "--format", "xlsx", "-o", str(workbook))
    assert code == 0 and load_workbook(workbook).sheetnames == list(SHEETS)
    code, _, err = _run(app, "report", "--period", "2025-Q5")
    assert code == 2 and "invalid_period" in err


def test_procedures_import_list_and_link(app: typer.Typer, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.json"
    catalogue.write_text(
        json.dumps([{"code": "1.001029", "name": "Cấp giấy phép karaoke", "field": "Văn hóa"}], ensure_ascii=False)
    )
    code, out, _ = _run(app, "procedures", "import", str(catalogue))
    assert code == 0 and "1 inserted" in out
    code, out, _ = _run(app, "procedures", "list", "-q", "giay phep", "--json")
    assert [p["code"] for p in json.loads(out)] == ["1.001029"]
    code, _, err = _run(app, "procedures", "import", str(tmp_path / "absent.csv"))
    assert code == 3 and "not_found" in err

    db = Database(get_settings().db_url)
    with db.session() as session:
        doc_id = add_document(session, dossier=None, state=DocumentState.RECEIVED).id
    db.dispose()
    code, out, _ = _run(app, "register", "link", dossier_code(DAY, 9), doc_id)
    assert code == 0 and "not in the register yet" in out
    code, out, _ = _run(app, "register", "unlink", doc_id)
    assert code == 0 and "removed" in out
    code, _, err = _run(app, "register", "link", dossier_code(DAY, 9), "no-such-document")
    assert code == 3 and "document_not_found" in err

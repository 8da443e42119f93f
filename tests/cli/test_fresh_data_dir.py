"""Every command on a data dir that does not exist yet: it is created and migrated, and whatever the
command answers, it is one readable line and an exit code, never a traceback.

The table names each command the CLI has; a command added without a row here fails the first test,
so the promise covers new commands too.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import typer
from typer.testing import CliRunner

from sohoa.cli.main import app
from testkit.material import make_pdf
from tests.support.codes import DOSSIER, PROCEDURE

MISSING_ID = "00000000-0000-0000-0000-000000000000"


def _commands() -> Iterator[str]:
    root = typer.main.get_command(app)
    ctx = click.Context(root)

    def walk(command: typer.core.TyperCommand | typer.core.TyperGroup, path: list[str]) -> Iterator[str]:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path)

    yield from walk(root, [])


def _files(tmp: Path) -> dict[str, str]:
    pdf = make_pdf(tmp / "in.pdf", pages=1)
    register = tmp / "register.csv"
    register.write_text(
        f"dossier_code,procedure_code,resolved_date,result_type\n{DOSSIER},{PROCEDURE},12/03/2025,paper\n",
        encoding="utf-8",
    )
    procedures = tmp / "procedures.csv"
    procedures.write_text(f"code,name\n{PROCEDURE},Cấp giấy phép\n", encoding="utf-8")
    return {"pdf": str(pdf), "register": str(register), "procedures": str(procedures), "tmp": str(tmp)}


# command -> (arguments, exit codes that are a fair answer on an empty catalogue)
CASES: dict[str, tuple[list[str], set[int]]] = {
    "db upgrade": ([], {0}),
    "ingest": (["{pdf}", "--procedure", PROCEDURE], {0}),
    "get": ([MISSING_ID, "--output", "{tmp}/out.pdf"], {3}),
    "worker": ([], {6}),  # no broker configured: a clear configuration error
    "sweep": ([], {0}),
    "report": (["--period", "2025-Q1", "--format", "xlsx", "-o", "{tmp}/r.xlsx"], {0}),
    "coversheet": (["--procedure", PROCEDURE, "--dossier", DOSSIER, "-o", "{tmp}/sheet.pdf"], {0}),
    "search": (["--procedure", PROCEDURE], {0}),
    "ocr": (["{tmp}/missing.tif", "{tmp}/out.pdf"], {2, 3}),
    "extract": (["{tmp}/missing.pdf"], {3}),
    "sign": (["{pdf}", "{tmp}/signed.pdf"], {0}),
    "verify": (["{pdf}"], {1}),  # readable, unsigned
    "users add": (["lan", "--role", "uploader"], {0}),
    "users set-password": (["nobody"], {3}),
    "users token": (["nobody"], {3}),
    "users revoke-token": (["nobody"], {3}),
    "users list": ([], {0}),
    "users disable": (["nobody"], {3}),
    "review list": ([], {0}),
    "review show": ([MISSING_ID], {3}),
    "review set": ([MISSING_ID, "subject=x"], {3}),
    "review approve": ([MISSING_ID], {3}),
    "procedures import": (["{procedures}"], {0}),
    "procedures list": ([], {0}),
    "register import": (["{register}"], {0}),
    "register link": ([DOSSIER, MISSING_ID], {3}),
    "register unlink": ([MISSING_ID], {3}),
    "dossiers create": ([DOSSIER, "--owner-id-type", "cccd", "--owner-id", "001085012389"], {0}),
    "dossiers show": ([DOSSIER], {3}),
    "dossiers close": ([DOSSIER], {3}),
    "dossiers reuse": ([DOSSIER, MISSING_ID, "--component", "Đơn đề nghị"], {3}),
    "owners show": (["cccd", "001085012389", "--json"], {0}),
    "owners search": (["--number", "001"], {0}),
    "archive hold": ([MISSING_ID, "--reason", "x"], {3}),
    "archive release": ([MISSING_ID], {3}),
    "archive supersede": ([MISSING_ID, "{pdf}", "--reason", "x"], {3}),
    "archive lineage": ([MISSING_ID], {3}),
    "archive show": ([MISSING_ID], {3}),
    "audit fixity": ([], {0}),
    "catalogue rebuild": ([], {0, 2}),
    "signing check": ([], {0}),
    "quarantine purge": (["--older-than", "30"], {0}),
    "retry": ([MISSING_ID], {3}),
    "signing renew-lta": ([], {1}),  # embedded default has no TSA: says it needs one
}
# serve runs until stopped: it is started for real in its own test below.
LONG_RUNNING = {"serve"}


def test_every_command_has_a_case() -> None:
    assert set(_commands()) == set(CASES) | LONG_RUNNING


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "var" / "not-yet"
    for key in ("SOHOA_DATABASE_URL", "SOHOA_S3_ENDPOINT", "SOHOA_BROKER_URL", "SOHOA_PKCS12_PATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(data))
    monkeypatch.setenv("SOHOA_OCR_ENGINE", "fake")
    monkeypatch.setenv("SOHOA_REVIEW_POLICY", "never")
    return data


@pytest.mark.parametrize("command", sorted(CASES))
def test_command_on_a_fresh_data_dir(command: str, fresh: Path, tmp_path: Path) -> None:
    args, expected = CASES[command]
    files = _files(tmp_path)
    argv = [*command.split(), *(a.format(**files) for a in args)]
    result = CliRunner().invoke(app, argv, input="secret-pass-1234\nsecret-pass-1234\n")
    text = result.output  # stdout and stderr as a person sees them
    assert "Traceback" not in text, text
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{command}: {type(result.exception).__name__}: {result.exception}\n{text}")
    assert result.exit_code in expected, f"{command} exited {result.exit_code}: {text}"
    if result.exit_code != 0:  # a short readable answer, not a dump
        lines = [ln for ln in text.splitlines() if ln.strip()]
        assert 1 <= len(lines) <= 3, text


def test_serve_on_a_fresh_data_dir_starts_and_a_busy_port_is_one_line(fresh: Path, tmp_path: Path) -> None:
    """The real console script, in its own process: a port in use is a message, not a traceback."""
    sohoa = Path(sys.executable).with_name("sohoa")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [str(sohoa), "serve", "--host", "127.0.0.1", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert (fresh / "catalogue.db").exists() or any(fresh.glob("*.db")), list(fresh.iterdir())

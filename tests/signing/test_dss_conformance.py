"""sohoa verify over the EU DSS project's PAdES test files (tests/signing/dss/): no traceback on any
file, and the signature count, integrity, level and change verdicts of DSS's own tests, except where
tests/signing/dss/expected.py lists the disagreement with its reason."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sohoa.core.errors import InputRejected
from sohoa.signing.verify import VerificationReport, verify_pdf
from tests.signing.dss.expected import ROWS, Expectation, Row

FILES = Path(__file__).parent / "dss" / "files"
_CHANGES = {"changed_after_signing", "bytes_after_last_revision"}


def _observed(report: VerificationReport) -> Expectation:
    entries = [*report.signatures, *report.timestamps]
    return Expectation(
        count=len(report.signatures),
        intact=tuple(sorted(s.intact for s in report.signatures)),
        level=tuple(sorted(report_levels(report), key=str)),
        changed=any(_CHANGES & set(e.problem_codes) for e in entries),
    )


def report_levels(report: VerificationReport) -> list[str | None]:
    return [s.level for s in report.signatures]


@pytest.fixture(autouse=True)
def _quiet() -> None:
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)


def test_every_file_has_a_row() -> None:
    kept = {str(p.relative_to(FILES)) for p in FILES.rglob("*.pdf")}
    assert kept == {row.file for row in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.file)
def test_file_matches_dss_or_the_listed_disagreement(row: Row) -> None:
    try:
        report = verify_pdf(FILES / row.file, trust_roots=[])
    except InputRejected as exc:
        assert row.exit == exc.exit_code == 2 and exc.code == "unreadable_pdf", exc
        assert row.sohoa == Expectation()
        return
    seen = _observed(report)
    for name in ("count", "intact", "level", "changed"):
        ours, theirs, measured = getattr(row.sohoa, name), getattr(row.dss, name), getattr(seen, name)
        if ours is not None:
            assert measured == ours, f"{name}: sohoa reports {measured!r}, the table expects {ours!r}"
        if theirs is not None and measured != theirs:
            assert name in row.disagreements, f"{name}: DSS expects {theirs!r}, sohoa reports {measured!r}"
    for name in row.disagreements:  # a listed disagreement that no longer exists must be removed
        assert getattr(row.dss, name) != getattr(seen, name), f"{name}: sohoa now agrees with DSS"
    assert not report.valid  # nothing here chains to a root we trust


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.file)
def test_cli_never_ends_in_a_traceback(row: Row, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SOHOA_PKCS12_PATH", "SOHOA_PKCS11_MODULE", "SOHOA_TRUST_ROOTS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    from sohoa.cli.main import app

    done = CliRunner().invoke(app, ["verify", str(FILES / row.file), "--json"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code == row.exit, done.output
    if done.exit_code == 1:
        assert json.loads(done.output)["valid"] is False

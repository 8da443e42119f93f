"""A dossier created without a received date takes the day its code carries (mã hồ sơ
``<agency>-<yymmdd>-<sequence>``, yymmdd the one-stop desk's day of receipt), not the day it was
first seen; a future day falls back to today, and the register or a clerk's date still wins. So an
upload of last year's papers is counted in the coverage report of the quarter the dossier was
received in, not in the quarter it was scanned in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from typer.testing import CliRunner

from sohoa.cli.main import app as cli_app
from sohoa.core.domain import DocumentState
from sohoa.core.errors import InputRejected
from sohoa.core.periods import PeriodKind, current_period
from sohoa.core.settings import Settings
from sohoa.pipeline.runtime import Runtime
from sohoa.pipeline.wiring import open_runtime
from sohoa.registry.dossiers import DossierFacts, Placement, create_dossier, file_in_dossier, get_dossier, today
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.dossier_queries import get_dossier_record
from tests.registry.builders import add_document, dossier_code

RECEIVED = date(2025, 1, 15)
CODE = dossier_code(RECEIVED, 1)  # 000.00.32.H19-250115-0001


@pytest.fixture
def rt(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A runtime, and the CLI on the same data dir."""
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    runtime = open_runtime(settings, with_queue=False)
    try:
        yield runtime
    finally:
        runtime.close()


def _upload(rt: Runtime, code: str) -> date | None:
    """A document filed under ``code`` as an upload files it; the received date of its dossier."""
    with rt.db.session() as session:
        doc = add_document(session, dossier=code, state=DocumentState.ARCHIVED)
        session.flush()
        file_in_dossier(session, doc.id, code, Placement(), procedure_code=None, actor="lan")
    with rt.db.session() as session:
        return get_dossier(session, code).received_date


def _received_in(period: str) -> int:
    done = CliRunner().invoke(cli_app, ["report", "--period", period, "--format", "json"])
    assert done.exit_code == 0, done.output
    return int(json.loads(done.stdout)["coverage"]["dossiers_received"])


def test_an_upload_created_dossier_is_received_on_the_day_its_code_carries(rt: Runtime) -> None:
    assert _upload(rt, CODE) == RECEIVED
    with rt.db.session() as session:
        assert get_dossier_record(session, CODE).source == "upload"  # type: ignore[union-attr]


def test_the_coverage_report_counts_it_in_the_quarter_of_its_code_not_the_current_one(rt: Runtime) -> None:
    now = current_period(PeriodKind.QUARTER)
    assert not now.contains(RECEIVED)  # the tester's case: scanned in a later quarter
    _upload(rt, CODE)
    assert _received_in("2025-Q1") == 1
    assert _received_in(now.label) == 0


def test_a_code_of_today_is_received_today(rt: Runtime) -> None:
    code = dossier_code(today(), 7)
    assert _upload(rt, code) == today()


def test_a_day_in_the_future_is_no_day_of_receipt_and_today_is_kept(rt: Runtime) -> None:
    code = dossier_code(date(2099, 12, 31), 2)  # mistyped year: 991231
    assert _upload(rt, code) == today()


def test_a_code_whose_day_is_impossible_creates_no_dossier(rt: Runtime) -> None:
    # 25-13-41 is no calendar day: the code itself is refused before any date is taken from it.
    with rt.db.session() as session, pytest.raises(InputRejected) as caught:
        doc = add_document(session, dossier=None, state=DocumentState.RECEIVED)
        session.flush()
        file_in_dossier(session, doc.id, "000.00.32.H19-251341-0001", Placement(), procedure_code=None, actor="lan")
    assert caught.value.code == "invalid_dossier_code"


def test_a_clerks_date_wins_over_the_code(rt: Runtime) -> None:
    with rt.db.session() as session:
        made = create_dossier(session, CODE, DossierFacts(received_date=date(2025, 1, 17)), actor="lan")
    assert made.received_date == date(2025, 1, 17)
    assert _upload(rt, CODE) == date(2025, 1, 17)  # a later upload does not move it


def test_the_register_corrects_it_and_its_silence_leaves_it(rt: Runtime) -> None:
    other = dossier_code(date(2025, 2, 3), 4)
    _upload(rt, CODE)
    _upload(rt, other)
    register = (
        "dossier_code,procedure_code,received_date,resolved_date,result_type\n"
        f"{CODE},1.001234,2025-01-16,2025-01-20,paper\n"
        f"{other},1.001234,,2025-02-20,paper\n"
    )
    with rt.db.session() as session:
        assert import_register(session, register.encode(), SourceFormat.CSV, actor="t").errors == ()
    with rt.db.session() as session:
        assert get_dossier(session, CODE).received_date == date(2025, 1, 16)
        assert get_dossier(session, other).received_date == date(2025, 2, 3)

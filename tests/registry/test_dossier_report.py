"""Issue 25, item 5: the report's component and reuse figures on a generated register of 520 dossiers.

The expected values are counted here, from the plan the data was generated from, never by the
product's counting code; the catalogue is filled through the product's own writers (register
import, filing in a dossier, reuse, re-submissions), on both engines.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from sohoa.api.app import create_app
from sohoa.cli.main import app as cli_app
from sohoa.core.domain import DocumentState, Role
from sohoa.core.settings import Settings
from sohoa.pipeline.wiring import open_runtime
from sohoa.registry.dossiers import Placement, file_in_dossier, record_resubmission, reuse_document
from sohoa.registry.export import SHEETS
from sohoa.registry.metrics import render_metrics
from sohoa.registry.register import import_register
from sohoa.registry.sources import SourceFormat
from sohoa.storage.accounts import create_token, create_user
from tests.api.conftest import auth
from tests.registry.builders import add_document, dossier_code

MARCH = date(2025, 3, 1)
S = DocumentState


@dataclass
class Planned:
    code: str
    received: date
    resolved: date
    paper: bool
    owner: str
    result: S | None  # the result document's state, None: no result scanned
    components: list[S] = field(default_factory=list)  # uploaded components' states
    reused: int = 0
    resubmitted: int = 0


def _plan(rng: random.Random) -> list[Planned]:
    owners = [f"001{n:09d}" for n in range(1, 41)]
    plan = []
    for i in range(520):
        received = MARCH + timedelta(days=i % 31) if i < 470 else date(2025, 2, 1) + timedelta(days=i % 28)
        resolved = received + timedelta(days=rng.randint(1, 9))
        result = rng.choices([S.ARCHIVED, S.NEEDS_REVIEW, S.SIGNED, None], weights=[6, 2, 1, 2])[0]
        components = [
            rng.choices([S.ARCHIVED, S.NEEDS_REVIEW, S.REJECTED], weights=[7, 2, 1])[0]
            for _ in range(rng.randint(0, 3))
        ]
        plan.append(Planned(dossier_code(received, i), received, resolved, i % 4 != 0, rng.choice(owners), result,
                            components))  # fmt: skip
    return plan


def _register(plan: list[Planned]) -> bytes:
    lines = ["ma_ho_so,ma_thu_tuc,ngay_tiep_nhan,ngay_tra_ket_qua,hinh_thuc_ket_qua,loai_giay_to,so_giay_to,chu_ho_so"]
    for p in plan:
        kind = "Bản giấy" if p.paper else "Điện tử"
        lines.append(f"{p.code},1.001029,{p.received},{p.resolved},{kind},CCCD,{p.owner},Chủ {p.owner[-4:]}")
    return ("\n".join(lines) + "\n").encode()


def _fill(session, plan: list[Planned], rng: random.Random) -> None:  # type: ignore[no-untyped-def]
    archived_of_owner: dict[str, list[str]] = {}
    for p in plan:
        if p.result is not None:
            doc = add_document(session, dossier=p.code, state=p.result)
            session.flush()
            file_in_dossier(
                session, doc.id, p.code, Placement(), procedure_code=None, actor="test",
            )  # fmt: skip
        for n, state in enumerate(p.components):
            doc = add_document(session, dossier=p.code, state=state)
            session.flush()
            file_in_dossier(
                session, doc.id, p.code, Placement("component", f"Thành phần {n}"), procedure_code=None,
                actor="test",
            )  # fmt: skip
            if state is S.ARCHIVED:
                archived_of_owner.setdefault(p.owner, []).append(doc.id)
    for p in plan:
        on_file = [d for d in archived_of_owner.get(p.owner, []) if d not in _ids_in(session, p.code)]
        if on_file and rng.random() < 0.35:
            for doc_id in rng.sample(on_file, k=min(len(on_file), rng.randint(1, 2))):
                reuse_document(session, p.code, doc_id, "Giấy tờ đã có", actor="test", day=date(2025, 4, 15))
                p.reused += 1
        if on_file and rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                record_resubmission(
                    session, dossier_code=p.code, archived_id=on_file[0], kind="content", component="Giấy tờ đã có",
                    actor="test",
                )  # fmt: skip
                p.resubmitted += 1


def _ids_in(session, code: str) -> set[str]:  # type: ignore[no-untyped-def]
    from sohoa.registry.dossiers import held

    return {d.document_id for d in held(session, code)[1]}


def _expected(plan: list[Planned]) -> dict[str, object]:
    """Counted by hand from the plan: the definitions of the issue, one line each."""
    period_end = date(2025, 4, 1)
    resolved_paper = [p for p in plan if MARCH <= p.resolved < period_end and p.paper]
    archived = [p for p in resolved_paper if p.result is S.ARCHIVED]
    received = [p for p in plan if MARCH <= p.received < period_end]
    complete = [
        p for p in received if (p.components or p.reused) and all(s is S.ARCHIVED for s in p.components)
    ]  # fmt: skip
    reused = sum(p.reused for p in received)
    resubmitted = sum(p.resubmitted for p in received)
    return {
        "paper": len(resolved_paper),
        "archived": len(archived),
        "rate": len(archived) / len(resolved_paper),
        "dossiers_received": len(received),
        "components_digitized": len(complete),
        "components_rate": len(complete) / len(received),
        "reused": reused,
        "resubmitted": resubmitted,
        "reuse_rate": reused / (reused + resubmitted),
    }


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, settings: Settings, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    if request.param == "postgresql":
        settings.database_url = request.getfixturevalue("pg_url")
        monkeypatch.setenv("SOHOA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(settings.data_dir))
    rng = random.Random(25)
    plan = _plan(rng)
    rt = open_runtime(settings)
    try:
        with rt.db.session() as session:
            report = import_register(session, _register(plan), SourceFormat.CSV, actor="test")
            assert report.errors == () and report.inserted == 520
            _fill(session, plan, rng)
            user = create_user(session, "lan", Role.ARCHIVIST, actor="test")
            token = create_token(session, user, actor="test")
        yield rt, plan, token
    finally:
        rt.close()


def test_report_figures_match_the_hand_count(loaded, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rt, plan, token = loaded
    expected = _expected(plan)
    # the generated data exercises every figure
    assert expected["reused"] > 20 and expected["resubmitted"] > 10
    assert 0 < expected["components_digitized"] < expected["dossiers_received"]

    with TestClient(create_app(runtime=rt)) as api:
        answer = api.get("/api/v1/reports", params={"period": "2025-03"}, headers=auth(token))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        csv_text = api.get("/api/v1/reports", params={"period": "2025-03", "format": "csv"}, headers=auth(token)).text
        xlsx = api.get("/api/v1/reports", params={"period": "2025-03", "format": "xlsx"}, headers=auth(token))
    overall = body["coverage"]
    for key, value in expected.items():
        assert overall[key] == pytest.approx(value), key
    for key in ("rate", "components_rate", "reused", "resubmitted", "reuse_rate"):
        assert body["definitions"][key]

    row = next(r for r in csv.DictReader(io.StringIO(csv_text.lstrip("\ufeff"))) if r["scope"] == "overall")
    assert int(row["reused"]) == expected["reused"] and int(row["resubmitted"]) == expected["resubmitted"]
    assert float(row["components_rate"]) == pytest.approx(expected["components_rate"])
    assert float(row["reuse_rate"]) == pytest.approx(expected["reuse_rate"])

    sheet = load_workbook(io.BytesIO(xlsx.content))[SHEETS[0]]
    by_label = {r[1]: r for r in sheet.iter_rows(min_row=12, values_only=True) if r[1]}
    assert by_label["Tỷ lệ số hóa thành phần hồ sơ"][3] == pytest.approx(expected["components_rate"])
    assert by_label["Tỷ lệ tái sử dụng kết quả số hóa"][3] == pytest.approx(expected["reuse_rate"])
    assert by_label["Hồ sơ tái sử dụng kết quả số hóa"][2] == expected["reused"]
    assert by_label["Hồ sơ nộp lại giấy tờ đã số hóa"][2] == expected["resubmitted"]

    result = CliRunner().invoke(cli_app, ["report", "--period", "2025-03", "--format", "json"])
    assert result.exit_code == 0, result.output
    cli_overall = json.loads(result.stdout)["coverage"]
    assert {k: cli_overall[k] for k in expected} == pytest.approx(expected)

    # /metrics: the same figures for the month of a scrape in March 2025
    with rt.db.session() as session:
        text = render_metrics(session, now=datetime(2025, 3, 20, 3, tzinfo=UTC)).decode()
    labels = 'period="2025-03",window="month"'
    assert f'sohoa_dossier_components{{figure="reused",{labels}}} {float(expected["reused"])}' in text
    assert f'sohoa_dossier_components{{figure="resubmitted",{labels}}} {float(expected["resubmitted"])}' in text
    rate = next(ln for ln in text.splitlines() if ln.startswith(f'sohoa_coverage_rate{{indicator="reuse",{labels}}}'))
    assert float(rate.split()[-1]) == pytest.approx(expected["reuse_rate"])

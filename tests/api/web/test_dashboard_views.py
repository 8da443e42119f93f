"""The dashboard: the coverage of the register, as numbers, charts' data and the missing list."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

from fastapi.testclient import TestClient

from sohoa.api.web.i18n import Translator
from sohoa.api.web.views.dashboard_views import chart_data
from sohoa.core.periods import parse_period
from sohoa.pipeline.actions.reports import coverage_report, monthly_coverage, period_choices
from sohoa.registry.coverage import compute_coverage
from tests.api.web.conftest import MISSING_DOSSIER, PROCEDURE, Office, sign_in


def _count(page: str, name: str) -> int:
    found = re.search(rf'<dd id="count-{name}">(\d+)</dd>', page)
    assert found is not None, name
    return int(found.group(1))


def test_the_figures_are_the_coverage_report(browser_client: TestClient, office: Office) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/dashboard", params={"period": "2025-03"}).text
    with office.runtime.db.session() as session:
        report = compute_coverage(session, parse_period("2025-03"))
    overall = report.overall
    assert (overall.paper, overall.archived, overall.missing) == (4, 2, 2)
    for name in ("resolved", "paper", "digitized", "signed", "archived", "missing"):
        assert _count(page, name) == getattr(overall, name), name
    assert "50,0 % (2/4)" in page
    charts = json.loads(page.split('<script type="application/json" id="chart-data">')[1].split("</script>")[0])
    assert charts["procedure"]["labels"] == [PROCEDURE, "1.003645"]
    archived = next(d for d in charts["procedure"]["datasets"] if d["key"] == "archived")
    assert archived["data"] == [2, 0]
    assert charts["month"]["labels"] == ["2025-03"]
    assert MISSING_DOSSIER in page.split('id="missing-table"')[1]
    assert "/api/v1/reports?period=2025-03&amp;format=xlsx" in page
    assert "/ui/coversheets/missing.pdf?period=2025-03" in page


def test_an_auditor_reads_the_dashboard_but_prints_nothing(browser_client: TestClient) -> None:
    sign_in(browser_client, "auditor")
    page = browser_client.get("/dashboard", params={"period": "2025-03"}).text
    assert _count(page, "paper") == 4
    assert "/ui/coversheets/missing.pdf" not in page and "/api/v1/coversheets" not in page


def test_a_bad_period_is_explained_and_the_year_shown(browser_client: TestClient) -> None:
    sign_in(browser_client, "archivist", lang="en")
    page = browser_client.get("/dashboard", params={"period": "2025-13"}).text
    assert "Invalid period: 2025-13" in page
    assert 'value="' + str(date.today().year) in page or "Period" in page


def test_months_of_a_period_include_empty_ones(office: Office) -> None:
    months = monthly_coverage(office.runtime, parse_period("2025-Q1"))
    assert [label for label, _ in months] == ["2025-01", "2025-02", "2025-03"]
    assert [c.paper for _, c in months] == [0, 0, 4]
    assert [c.archived for _, c in months] == [0, 0, 2]
    year = monthly_coverage(office.runtime, parse_period("2024"))  # a year without dossiers
    assert len(year) == 12 and all(c.paper == 0 for _, c in year)


def test_chart_labels_are_translated(office: Office) -> None:
    period = parse_period("2025-03")
    report = coverage_report(office.runtime, period)
    months = monthly_coverage(office.runtime, period)
    data = chart_data(Translator("en"), report, months)
    assert [d["label"] for d in data["field"]["datasets"]] == ["Paper results", "Digitized", "Signed", "Archived"]
    assert data["axis"] == "Dossiers"


def test_the_reports_due_are_one_click_each(browser_client: TestClient) -> None:
    sign_in(browser_client, "archivist")
    page = browser_client.get("/dashboard", params={"period": "2025-03"}).text
    due = page.split('aria-labelledby="due-title"')[1].split("</nav>")[0]
    links = re.findall(r'href="/api/v1/reports\?period=([^&"]+)&amp;format=xlsx" data-period', due)
    today = date.today()
    quarter, half = (today.month - 1) // 3 + 1, (today.month - 1) // 6 + 1
    expected = [
        f"{today.year}-Q{quarter - 1}" if quarter > 1 else f"{today.year - 1}-Q4",
        f"{today.year}-H{half - 1}" if half > 1 else f"{today.year - 1}-H2",
        str(today.year - 1),
    ]
    assert links == expected
    assert f"Năm {today.year - 1}" in due  # named as the report's title names it
    workbook = browser_client.get(f"/api/v1/reports?period={links[0]}&format=xlsx")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"


def test_period_choices_across_a_new_year() -> None:
    # 2026-01-01 00:30 in Vietnam is still 2025 in UTC: the calendar is Vietnam's
    choices = period_choices(datetime(2025, 12, 31, 17, 30, tzinfo=UTC))
    assert [(c.period.label, c.title, c.previous) for c in choices] == [
        ("2025-Q4", "Quý IV năm 2025", True),
        ("2025-H2", "6 tháng cuối năm 2025", True),
        ("2025", "Năm 2025", True),
        ("2026-01", "Tháng 1 năm 2026", False),
        ("2026-Q1", "Quý I năm 2026", False),
        ("2026", "Năm 2026", False),
    ]

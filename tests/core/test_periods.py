from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sohoa.core.errors import InputRejected
from sohoa.core.periods import PeriodKind, current_period, parse_period


@pytest.mark.parametrize(
    ("text", "label", "kind", "start", "last_day"),
    [
        ("2025-03", "2025-03", PeriodKind.MONTH, date(2025, 3, 1), date(2025, 3, 31)),
        ("2024-02", "2024-02", PeriodKind.MONTH, date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-12", "2025-12", PeriodKind.MONTH, date(2025, 12, 1), date(2025, 12, 31)),
        ("2025-Q1", "2025-Q1", PeriodKind.QUARTER, date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-q4", "2025-Q4", PeriodKind.QUARTER, date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-H1", "2025-H1", PeriodKind.HALF, date(2025, 1, 1), date(2025, 6, 30)),
        ("2025-H2", "2025-H2", PeriodKind.HALF, date(2025, 7, 1), date(2025, 12, 31)),
        ("2025-9M", "2025-9M", PeriodKind.NINE_MONTHS, date(2025, 1, 1), date(2025, 9, 30)),
        (" 2025 ", "2025", PeriodKind.YEAR, date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_periods_cover_whole_calendar_days(
    text: str, label: str, kind: PeriodKind, start: date, last_day: date
) -> None:
    period = parse_period(text)
    assert (period.label, period.kind, period.start, period.last_day) == (label, kind, start, last_day)
    assert period.contains(start) and period.contains(last_day)
    assert not period.contains(period.end)
    assert parse_period(period.label) == period  # labels read back


@pytest.mark.parametrize("text", ["2025-13", "2025-00", "2025-Q5", "2025-H3", "2025-6M", "25-Q1", "2025/03", "", "Q1"])
def test_malformed_periods_are_refused(text: str) -> None:
    with pytest.raises(InputRejected) as caught:
        parse_period(text)
    assert caught.value.code == "invalid_period"


def test_the_current_period_follows_vietnams_calendar_not_utc() -> None:
    # 17:00 UTC on 31 March is midnight on 1 April in Ho Chi Minh City (UTC+7).
    before = datetime(2025, 3, 31, 16, 59, tzinfo=UTC)
    after = datetime(2025, 3, 31, 17, 0, tzinfo=UTC)
    assert current_period(PeriodKind.MONTH, before).label == "2025-03"
    assert current_period(PeriodKind.MONTH, after).label == "2025-04"
    assert current_period(PeriodKind.QUARTER, after).label == "2025-Q2"
    assert current_period(PeriodKind.HALF, after).label == "2025-H1"
    new_year = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)
    assert current_period(PeriodKind.YEAR, new_year).label == "2026"

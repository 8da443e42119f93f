"""Reporting periods of the national digitization indicators, in Vietnam's calendar.

A period is a half-open range of calendar dates in Asia/Ho_Chi_Minh: ``2025-03`` (month),
``2025-Q1`` (quarter), ``2025-H1`` (half year), ``2025-9M`` (the first nine months, the
usual mid-year-plus report) and ``2025`` (year). Register dates are already local calendar
dates, so selecting dossiers by ``resolved_date`` needs no zone arithmetic; "now" does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sohoa.core.clock import to_local, utcnow
from sohoa.core.errors import InputRejected

__all__ = ["Period", "PeriodKind", "current_period", "parse_period"]


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"


@dataclass(frozen=True)
class Period:
    label: str
    kind: PeriodKind
    start: date  # first day, inclusive
    end: date  # first day after the period, exclusive

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


_PATTERN = re.compile(
    r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|[Qq](?P<quarter>[1-4])|[Hh](?P<half>[12])|(?P<nine>9[Mm])))?$"
)


def _month_start(year: int, month: int) -> date:
    # month may run one past December: the start of next year
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(text: str) -> Period:
    """``2025-03`` | ``2025-Q1`` | ``2025-H1`` | ``2025-9M`` | ``2025``; anything else is refused."""
    value = text.strip()
    match = _PATTERN.match(value)
    if match is None or not 1900 <= int(match["year"]) <= 9998:
        raise InputRejected(
            f"invalid period {text!r}: expected 2025-03, 2025-Q1, 2025-H1, 2025-9M or 2025",
            code="invalid_period",
            details={"period": text},
        )
    year = int(match["year"])
    if match["month"]:
        month = int(match["month"])
        if not 1 <= month <= 12:
            raise InputRejected(f"invalid month in period {text!r}", code="invalid_period", details={"period": text})
        return Period(f"{year}-{month:02d}", PeriodKind.MONTH, _month_start(year, month), _month_start(year, month + 1))
    if match["quarter"]:
        q = int(match["quarter"])
        first = 3 * (q - 1) + 1
        return Period(f"{year}-Q{q}", PeriodKind.QUARTER, _month_start(year, first), _month_start(year, first + 3))
    if match["half"]:
        h = int(match["half"])
        first = 6 * (h - 1) + 1
        return Period(f"{year}-H{h}", PeriodKind.HALF, _month_start(year, first), _month_start(year, first + 6))
    if match["nine"]:
        return Period(f"{year}-9M", PeriodKind.NINE_MONTHS, date(year, 1, 1), date(year, 10, 1))
    return Period(str(year), PeriodKind.YEAR, date(year, 1, 1), date(year + 1, 1, 1))


def current_period(kind: PeriodKind, now: datetime | None = None) -> Period:
    """The period of ``kind`` that holds ``now`` (default: this instant) on Vietnam's calendar."""
    local = to_local(now or utcnow())
    year, month = local.year, local.month
    labels = {
        PeriodKind.MONTH: f"{year}-{month:02d}",
        PeriodKind.QUARTER: f"{year}-Q{(month - 1) // 3 + 1}",
        PeriodKind.HALF: f"{year}-H{(month - 1) // 6 + 1}",
        PeriodKind.NINE_MONTHS: f"{year}-9M",
        PeriodKind.YEAR: str(year),
    }
    return parse_period(labels[kind])

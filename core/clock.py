"""Times are stored in UTC and shown in Vietnam's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

__all__ = ["VN_TZ", "to_local", "utcnow"]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        # SQLite drops the zone; everything we store is UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)

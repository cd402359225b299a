"""Budget days (in J1MSKY_TIMEZONE) and provider windows (UTC clock hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

HOUR = timedelta(hours=1)


def budget_timezone() -> ZoneInfo:
    return ZoneInfo(settings.J1MSKY_TIMEZONE)


def budget_day(now: datetime) -> date:
    """The budget day `now` falls in: its calendar date in J1MSKY_TIMEZONE."""
    return now.astimezone(budget_timezone()).date()


def budget_day_start(day: date) -> datetime:
    """The instant (UTC) a budget day begins: local midnight in J1MSKY_TIMEZONE."""
    return datetime.combine(day, time.min, tzinfo=budget_timezone()).astimezone(UTC)


def budget_resets_at(now: datetime) -> datetime:
    """When today's budget day ends and the next one begins (UTC)."""
    return budget_day_start(budget_day(now) + timedelta(days=1))


def hour_window(now: datetime) -> tuple[datetime, datetime]:
    """The provider window `now` falls in: [start, end) of its UTC clock hour."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return start, start + HOUR


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from `now` to `moment`, rounded up, at least 1 (a Retry-After value)."""
    remaining = (moment - now).total_seconds()
    return max(int(-(-remaining // 1)), 1)

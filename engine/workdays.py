"""Deadlines in Chinese working days, with the official holidays and make-up working days."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar

BEIJING = ZoneInfo("Asia/Shanghai")


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start`` (same time of day), counted on Beijing dates.

    ``start`` is naive UTC (as stored) or timezone-aware; the result is given the same way."""
    current = (start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start).astimezone(BEIJING)
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    if start.tzinfo is None:
        return current.astimezone(timezone.utc).replace(tzinfo=None)
    return current.astimezone(start.tzinfo)

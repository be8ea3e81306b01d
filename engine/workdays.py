"""Deadlines in Chinese working days, with the official holidays and make-up working days.

A date listed in the admins' holiday table decides first; then chinese-calendar's data; a year with neither
is counted Monday to Friday and logged as a warning (``baguan holidays check`` reports it too).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import chinese_calendar

from engine.clock import BEIJING
from engine.holiday_calendar import DayKind, current, warn_missing_year


def is_working_day(day: date) -> bool:
    listed = current().days.get(day)
    if listed is not None:
        return listed is DayKind.WORK
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in current().years:
            warn_missing_year(day.year)
        return day.weekday() < 5


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` working days after ``start`` (same time of day), counted on Beijing dates.

    ``start`` is naive UTC (as stored) or timezone-aware; the result is given the same way."""
    current_moment = (start.replace(tzinfo=timezone.utc) if start.tzinfo is None else start).astimezone(BEIJING)
    remaining = days
    while remaining > 0:
        current_moment += timedelta(days=1)
        if is_working_day(current_moment.date()):
            remaining -= 1
    if start.tzinfo is None:
        return current_moment.astimezone(timezone.utc).replace(tzinfo=None)
    return current_moment.astimezone(start.tzinfo)

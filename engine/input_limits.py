"""Bounds on user-supplied values that the database or the calendar arithmetic cannot hold.

Dates from filters and forms must lie in a range where adding a day or converting from Beijing time to UTC
cannot overflow, and where both databases store them the same way.
"""
from __future__ import annotations

from datetime import date

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DATE_RANGE_HINT = f"日期应在 {EARLIEST_DATE.isoformat()} 到 {LATEST_DATE.isoformat()} 之间"


def in_date_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE

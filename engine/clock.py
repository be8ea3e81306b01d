"""Time in one place: times are stored as naive UTC; people live on Beijing dates (Asia/Shanghai)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.db import utcnow

BEIJING = ZoneInfo("Asia/Shanghai")


def to_beijing(moment: datetime) -> datetime:
    """A stored naive-UTC time as an aware Beijing time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(BEIJING)


def beijing_date(moment: datetime) -> date:
    return to_beijing(moment).date()


def beijing_today() -> date:
    return beijing_date(utcnow())


def utc_start_of(day: date) -> datetime:
    """The naive-UTC moment at which the Beijing ``day`` begins."""
    return datetime.combine(day, time.min, BEIJING).astimezone(timezone.utc).replace(tzinfo=None)


def utc_end_of(day: date) -> datetime:
    """The naive-UTC moment at which the Beijing ``day`` ends (the next day begins)."""
    return utc_start_of(day + timedelta(days=1))

"""The loaded holiday calendar that ``engine.workdays`` consults before chinese-calendar's data.

The calendar lives in this module (one per process). ``engine.holidays.refresh`` loads it from the
``holiday_day`` table: at app start, at worker start, after every import, and when a web request finds it older
than ``MAX_AGE_SECONDS`` (so the other web hosts and the worker pick up an import too).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import chinese_calendar

log = logging.getLogger("baguan.holidays")
MAX_AGE_SECONDS = 60.0


class DayKind(StrEnum):
    OFF = "off"
    WORK = "work"

    @property
    def label(self) -> str:
        return "放假" if self is DayKind.OFF else "调休"

    @classmethod
    def from_label(cls, text: str) -> "DayKind | None":
        return {"放假": cls.OFF, "调休": cls.WORK}.get(text.strip())


@dataclass(frozen=True)
class HolidayCalendar:
    """The table's dates and the years it has data for; ``loaded_at`` is a monotonic clock reading."""

    days: dict[date, DayKind] = field(default_factory=dict)
    loaded_at: float | None = None

    @property
    def years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.days)


_state: dict[str, HolidayCalendar] = {"current": HolidayCalendar()}
_warned_years: set[int] = set()


def current() -> HolidayCalendar:
    return _state["current"]


def install(calendar: HolidayCalendar) -> None:
    _state["current"] = calendar
    _warned_years.difference_update(calendar.years)


def now() -> float:
    """The clock ``loaded_at`` is read on."""
    return time.monotonic()


def is_stale(max_age: float = MAX_AGE_SECONDS) -> bool:
    loaded_at = current().loaded_at
    return loaded_at is None or now() - loaded_at > max_age


def library_covers(year: int) -> bool:
    """Whether chinese-calendar ships the State Council's dates for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def covers(year: int) -> bool:
    return year in current().years or library_covers(year)


def warn_missing_year(year: int) -> None:
    """Log once per process and year that deadlines in ``year`` are counted Monday to Friday."""
    if year not in _warned_years:
        _warned_years.add(year)
        log.warning("%d 年没有节假日数据（节假日表和 chinese-calendar 均无）：该年期限按周一至周五计算，"
                    "请用 baguan holidays import 导入国务院放假通知", year)

"""Operations tests: the holiday calendar is per process, so every test starts and ends with an empty one."""
from __future__ import annotations

from typing import Iterator

import pytest

from engine import holiday_calendar


@pytest.fixture(autouse=True)
def empty_holiday_calendar() -> Iterator[None]:
    holiday_calendar.install(holiday_calendar.HolidayCalendar())
    yield
    holiday_calendar.install(holiday_calendar.HolidayCalendar())

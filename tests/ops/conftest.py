"""Operations tests: the holiday calendar is per process, so every test starts and ends with an empty one."""
from __future__ import annotations

from typing import Iterator

import pytest

from engine import holiday_calendar as holiday_calendar


@pytest.fixture(autouse=True)
def empty_holiday_calendar() -> Iterator[None]:
    holiday_calendar.install(holiday_calendar.HolidayCalendar())
    yield
    holiday_calendar.install(holiday_calendar.HolidayCalendar())


@pytest.fixture
def migrated_url(db_url: str) -> str:
    """A database created by ``baguan init-db``."""
    from ..security.helpers import run_cli
    result = run_cli(db_url, "init-db")
    assert result.exit_code == 0, result.output
    return db_url

"""Item 13: deadlines count working days on Beijing (Asia/Shanghai) dates, not on UTC dates.

Stored times are naive UTC. Saturday 2026-03-07 07:00 in Beijing is Friday 2026-03-06 23:00 UTC: one working day
later is Monday 2026-03-09 07:00 Beijing (2026-03-08 23:00 UTC). Counting on UTC dates gave Tuesday.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.library.timers import due_at
from engine.workdays import add_working_days


def test_saturday_morning_in_beijing_falls_due_on_monday() -> None:
    opened = datetime(2026, 3, 6, 23, 0)  # Saturday 07:00 Beijing
    assert add_working_days(opened, 1) == datetime(2026, 3, 8, 23, 0)  # Monday 07:00 Beijing


def test_friday_evening_in_beijing_counts_from_friday() -> None:
    opened = datetime(2026, 3, 6, 12, 30)  # Friday 20:30 Beijing
    assert add_working_days(opened, 1) == datetime(2026, 3, 9, 12, 30)  # Monday 20:30 Beijing
    assert add_working_days(opened, 3) == datetime(2026, 3, 11, 12, 30)  # Wednesday 20:30 Beijing


def test_aware_times_are_answered_in_their_own_zone() -> None:
    beijing = timezone(timedelta(hours=8))
    opened = datetime(2026, 3, 7, 7, 0, tzinfo=beijing)
    assert add_working_days(opened, 1) == datetime(2026, 3, 9, 7, 0, tzinfo=beijing)


def test_step_due_date_by_its_calendar() -> None:
    opened = datetime(2026, 3, 6, 23, 0)  # Saturday 07:00 Beijing
    assert due_at(opened, 2, "working") == datetime(2026, 3, 9, 23, 0)  # Tuesday 07:00 Beijing
    assert due_at(opened, 2, "calendar") == datetime(2026, 3, 8, 23, 0)  # Monday 07:00 Beijing

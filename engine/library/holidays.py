"""Maintaining the holiday table: the CSV format, imports, loading the calendar and finding uncovered years.

CSV format (UTF-8, one date per line, ``#`` starts a comment line)::

    date,kind,name
    2027-01-01,放假,元旦
    2027-02-20,调休,春节

``kind`` is 放假 (a day off) or 调休 (a weekend day that is worked). An import replaces the table's rows of
every year the file mentions, so re-importing a corrected notice is safe.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from importlib import resources

from sqlalchemy import delete, extract, func, select
from sqlalchemy.orm import Session, sessionmaker

from engine import journal as audit
from engine.db import utcnow
from engine.errors import InvalidData
from engine.holiday_calendar import (
    DayKind,
    HolidayCalendar,
    install,
    is_stale,
    library_covers,
    now,
)
from engine.identity.models import User
from engine.library.models import HolidayDay, Timer
from engine.runtime.models import HumanTask

HEADER = ("date", "kind", "name")
MAX_NAME = 50
BUNDLED_PACKAGE = "engine.data.holidays"


@dataclass(frozen=True)
class HolidayEntry:
    day: date
    kind: DayKind
    name: str


@dataclass(frozen=True)
class ImportResult:
    years: tuple[int, ...]
    count: int


@dataclass(frozen=True)
class YearCoverage:
    year: int
    table_days: int
    library: bool

    @property
    def covered(self) -> bool:
        return self.table_days > 0 or self.library


def parse_csv(text: str) -> list[HolidayEntry]:
    """Parse the documented CSV; every problem is reported with its line number, in Chinese."""
    lines = [(n, line) for n, line in enumerate(text.lstrip("\ufeff").splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise InvalidData("节假日文件是空的", {"file": "至少需要表头 date,kind,name 和一行日期"})
    header_no, header = lines[0]
    if tuple(c.strip().lower() for c in next(csv.reader([header]))) != HEADER:
        raise InvalidData("节假日文件格式不对", {"file": f"第 {header_no} 行应为表头 date,kind,name"})
    entries: dict[date, HolidayEntry] = {}
    problems: dict[str, str] = {}
    for number, line in lines[1:]:
        try:
            entry = _entry(next(csv.reader([line])))
        except ValueError as exc:
            problems[f"第{number}行"] = str(exc)
            continue
        if entry.day in entries:
            problems[f"第{number}行"] = f"日期 {entry.day.isoformat()} 重复"
        entries[entry.day] = entry
    if problems:
        raise InvalidData("节假日文件有错误，未导入任何日期", problems)
    if not entries:
        raise InvalidData("节假日文件没有日期", {"file": "表头之后至少需要一行日期"})
    return sorted(entries.values(), key=lambda e: e.day)


def _entry(cells: list[str]) -> HolidayEntry:
    if len(cells) != 3:
        raise ValueError("应有三列：日期,放假|调休,名称")
    raw_day, raw_kind, name = (c.strip() for c in cells)
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise ValueError(f"日期 {raw_day!r} 格式应为 YYYY-MM-DD") from None
    kind = DayKind.from_label(raw_kind)
    if kind is None:
        raise ValueError(f"类型 {raw_kind!r} 只能是 放假 或 调休")
    if not name or len(name) > MAX_NAME:
        raise ValueError(f"名称不能为空，且不超过 {MAX_NAME} 个字")
    if kind is DayKind.WORK and day.weekday() < 5:
        raise ValueError(f"{day.isoformat()} 是工作日，不能标为调休上班")
    return HolidayEntry(day, kind, name)


def import_entries(session: Session, entries: list[HolidayEntry], actor: User | None = None,
                   source: str = "") -> ImportResult:
    """Replace the table's rows for every year in ``entries`` (flush, never commit), audited."""
    years = tuple(sorted({e.day.year for e in entries}))
    session.execute(delete(HolidayDay).where(extract("year", HolidayDay.day).in_(years)))
    now = utcnow()
    session.add_all(HolidayDay(day=e.day, kind=e.kind.value, name=e.name, imported_at=now) for e in entries)
    session.flush()
    audit.record(session, "holidays.imported", actor=actor, years=list(years), days=len(entries), source=source)
    return ImportResult(years, len(entries))


def import_bundled(session: Session) -> ImportResult:
    """Import the notices shipped with Baguan for years the table has no rows for (admin edits win)."""
    have = set(table_years(session))
    entries: list[HolidayEntry] = []
    names: list[str] = []
    for file in sorted(resources.files(BUNDLED_PACKAGE).iterdir(), key=lambda f: f.name):
        if not file.name.endswith(".csv"):
            continue
        fresh = [e for e in parse_csv(file.read_text(encoding="utf-8")) if e.day.year not in have]
        if fresh:
            entries.extend(fresh)
            names.append(file.name)
    if not entries:
        return ImportResult((), 0)
    return import_entries(session, entries, source="随附数据 " + "、".join(names))


def table_years(session: Session) -> dict[int, int]:
    """``{year: number of rows}`` of the holiday table."""
    year = extract("year", HolidayDay.day)
    return {int(y): int(n) for y, n in session.execute(select(year, func.count()).group_by(year))}


def entries_of(session: Session, year: int) -> list[HolidayDay]:
    return list(session.scalars(select(HolidayDay).where(extract("year", HolidayDay.day) == year)
                                .order_by(HolidayDay.day)))


def load_calendar(session: Session) -> HolidayCalendar:
    rows = session.execute(select(HolidayDay.day, HolidayDay.kind)).all()
    return HolidayCalendar({day: DayKind(kind) for day, kind in rows}, now())


def refresh(session: Session) -> HolidayCalendar:
    """Load the table and make it this process's calendar."""
    calendar = load_calendar(session)
    install(calendar)
    return calendar


class RefreshingSessions:
    """A session factory that first reloads a stale holiday calendar: for long-running workers."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def __call__(self) -> Session:
        if is_stale():
            with self.factory() as session:
                refresh(session)
                session.rollback()
        return self.factory()


def deadline_years(session: Session) -> set[int]:
    """Years in which an open task or a pending timer falls due."""
    task_due = select(HumanTask.due_at).where(HumanTask.status == "open", HumanTask.due_at.is_not(None))
    timer_due = select(Timer.due_at).where(Timer.status == "pending")
    return {d.year for d in [*session.scalars(task_due), *session.scalars(timer_due)] if d is not None}


def coverage(session: Session, years: set[int]) -> list[YearCoverage]:
    table = table_years(session)
    return [YearCoverage(y, table.get(y, 0), library_covers(y)) for y in sorted(years)]


def uncovered_deadline_years(session: Session) -> list[int]:
    """Years with open deadlines and neither table nor library data: those deadlines are counted Mon–Fri."""
    return [c.year for c in coverage(session, deadline_years(session)) if not c.covered]


def banner_years(session: Session, today: date) -> list[int]:
    """What the admin banner warns about: uncovered deadline years, this year and next year."""
    years = deadline_years(session) | {today.year, today.year + 1}
    return [c.year for c in coverage(session, years) if not c.covered]


def missing_years_message(years: list[int]) -> str:
    listed = "、".join(str(y) for y in years)
    return (f"{listed} 年没有节假日数据：这些年份的期限按周一至周五计算，"
            "请导入国务院放假通知（管理 › 节假日，或 baguan holidays import）")

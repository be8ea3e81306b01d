"""Filters, search and sorting shared by the inbox tabs (待办 · 已办 · 我发起的 · 抄送我的).

The conditions are plain SQL expressions; engine.queries combines them with each tab's own scope.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql.elements import ColumnElement

from engine.clock import utc_end_of, utc_start_of
from engine.db import utcnow
from engine.errors import BadRequest
from engine.runtime.models import Case, HumanTask

OLDEST, NEWEST, DUE = "oldest", "newest", "due"
SORTS = (OLDEST, NEWEST, DUE)
SORT_LABELS = {OLDEST: "最早的在前", NEWEST: "最新的在前", DUE: "办理期限最近的在前"}
MAX_SEARCH = 100


@dataclass(frozen=True)
class InboxFilter:
    """What the user narrowed a tab to. ``since``/``until`` are Beijing dates, both inclusive."""

    process: str | None = None
    org_id: int | None = None
    since: date | None = None
    until: date | None = None
    overdue: bool = False
    search: str | None = None
    sort: str | None = None
    case_id: int | None = None

    @property
    def narrows_cases(self) -> bool:
        return bool(self.process or self.org_id or self.search or self.case_id)

    @property
    def needs_case_join(self) -> bool:
        """Task lists filter the society on the task row itself; only process and search need the case."""
        return bool(self.process or self.search)

    @property
    def active(self) -> bool:
        return self.narrows_cases or bool(self.since or self.until or self.overdue)


NO_FILTER = InboxFilter()


def clean_search(raw: str | None) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > MAX_SEARCH or "\x00" in text:
        raise BadRequest("搜索内容无效", {"q": f"搜索内容不能超过 {MAX_SEARCH} 字"})
    return text


def check_sort(sort: str | None, allowed: tuple[str, ...]) -> None:
    if sort is not None and sort not in allowed:
        raise BadRequest("排序方式无效", {"sort": "可选：" + "、".join(allowed)})


def case_conditions(f: InboxFilter, with_org: bool = True) -> list[ColumnElement[bool]]:
    """Conditions on the case: process, society, and title or number containing the search text."""
    conds: list[ColumnElement[bool]] = []
    if f.process:
        conds.append(Case.process_key == f.process)
    if f.org_id and with_org:
        conds.append(Case.org_id == f.org_id)
    if f.case_id:
        conds.append(Case.id == f.case_id)
    if f.search:
        conds.append(or_(Case.number == f.search.upper(), Case.title.contains(f.search, autoescape=True),
                         Case.number.contains(f.search.upper(), autoescape=True)))
    return conds


def exact_number(session: Any, f: InboxFilter) -> InboxFilter:
    """A search that is exactly a case number becomes a lookup by the number's unique index."""
    if not f.search:
        return f
    found = session.scalar(select(Case.id).where(Case.number == f.search.upper()))
    return replace(f, search=None, case_id=found) if found is not None else f


def period_conditions(column: Any, f: InboxFilter) -> list[ColumnElement[bool]]:
    """``column`` (naive UTC) within the Beijing-date period of the filter."""
    conds = []
    if f.since:
        conds.append(column >= utc_start_of(f.since))
    if f.until:
        conds.append(column < utc_end_of(f.until))
    return conds


def open_overdue_task_exists() -> ColumnElement[bool]:
    """The case waits at a step whose due date has passed."""
    return exists(select(HumanTask.id).where(HumanTask.case_id == Case.id, HumanTask.status == "open",
                                             HumanTask.due_at < utcnow()))


def todo_task_conditions(f: InboxFilter) -> list[ColumnElement[bool]]:
    conds = period_conditions(HumanTask.created_at, f) + _task_org(f)
    if f.overdue:
        conds.append(HumanTask.due_at < utcnow())
    return conds


def _task_org(f: InboxFilter) -> list[ColumnElement[bool]]:
    conds = [HumanTask.org_id == f.org_id] if f.org_id else []
    return conds + ([HumanTask.case_id == f.case_id] if f.case_id else [])


def done_task_conditions(f: InboxFilter) -> list[ColumnElement[bool]]:
    conds = period_conditions(HumanTask.completed_at, f) + _task_org(f)
    if f.overdue:
        conds.append(and_(HumanTask.due_at.is_not(None), HumanTask.completed_at > HumanTask.due_at))
    return conds


def ordering(sort: str, created: Any, ident: Any, due: Any = None) -> list[Any]:
    """ORDER BY for a sort choice over the given columns (``due`` only for the 待办 tab)."""
    if sort == NEWEST:
        return [created.desc(), ident.desc()]
    if sort == DUE and due is not None:
        return [due.asc().nulls_last(), created.asc(), ident.asc()]
    return [created.asc(), ident.asc()]

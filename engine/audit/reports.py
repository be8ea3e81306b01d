"""Reports for auditors over the cases in their scope: counts per society and process, cycle times, the overdue
share, and the annual-return tables (年报附表) gathered from the case data of the corresponding processes.

The annual tables are keyed on process keys and case-data field names (``ANNUAL_TABLES``); each column names the
fields it may be read from, first present wins, so a process that does not exist yet leaves its table empty.
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.cells import csv_cell
from engine.audit.search import AuditScope
from engine.clock import beijing_date, utc_start_of
from engine.db import utcnow
from engine.runtime.models import Case, HumanTask


@dataclass(frozen=True)
class Column:
    title: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class AnnualTable:
    key: str
    title: str
    processes: tuple[str, ...]
    columns: tuple[Column, ...]
    date_fields: tuple[str, ...] = ()
    amount_field: tuple[str, ...] = ()


ANNUAL_TABLES = (
    AnnualTable("events", "举办的论坛、讲座、报告会、研讨会", ("academic_event",), (
        Column("活动名称", ("event_name", "name")), Column("类型", ("event_type",)),
        Column("开始日期", ("start_date",)), Column("地点", ("venue",)), Column("预计人数", ("expected_count",)),
        Column("涉外", ("foreign_matter", "foreign_involved"))),
        date_fields=("start_date",)),
    AnnualTable("donations", "接受境内外捐赠", ("donation",), (
        Column("捐赠方", ("donor_name",)), Column("捐赠方类型", ("donor_type",)), Column("境内/境外", ("_origin",)),
        Column("折合人民币（元）", ("amount_cny", "amount")), Column("捐赠性质", ("restricted",)),
        Column("用途", ("purpose",))),
        date_fields=("arrival_date",), amount_field=("amount_cny", "amount")),
    AnnualTable("commendations", "评比、达标、表彰活动", ("commendation",), (
        Column("项目名称", ("project_name", "name")), Column("活动类别", ("category",)),
        Column("批准文号", ("approval_no",)), Column("评选对象", ("targets",)), Column("周期", ("cycle",)),
        Column("名额及等级", ("quota",))),
        date_fields=("announce_date",)),
    AnnualTable("branches", "分支机构", ("branch",), (
        Column("分支机构名称", ("branch_name", "name")), Column("类型", ("branch_type",)),
        Column("负责人", ("leaders",)), Column("业务范围", ("business_scope",)),
        Column("成立文号", ("establish_number",))),
        date_fields=("established_date",)),
    AnnualTable("fees", "经营服务性收费", ("fee_filing",), (
        Column("收费项目", ("fee_name", "name")), Column("类别", ("fee_category",)), Column("变更类型", ("change_type",)),
        Column("收费标准（元）", ("amount",)), Column("计费单位", ("unit",)), Column("服务对象", ("audience",)),
        Column("政策依据", ("basis",)), Column("生效日期", ("effective_date",))),
        date_fields=("effective_date",)),
)


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return utc_start_of(date(year, 1, 1)), utc_start_of(date(year + 1, 1, 1))


def cases_in_year(session: Session, scope: AuditScope, year: int) -> list[Case]:
    start, end = year_bounds(year)
    return list(session.scalars(select(Case).where(Case.org_id.in_(scope.org_ids), Case.created_at >= start,
                                                   Case.created_at < end).order_by(Case.id)))


@dataclass(frozen=True)
class CountRow:
    org: str
    process: str
    total: int
    running: int
    completed: int
    rejected: int


def counts(session: Session, cases: list[Case]) -> list[CountRow]:
    """Cases per society and process, by status."""
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in cases:
        groups[(case.org.name, case.definition.name)].append(case)
    return [CountRow(org, process, len(g), *(sum(c.status == s for c in g) for s in ("running", "completed",
                                                                                      "rejected")))
            for (org, process), g in sorted(groups.items())]


@dataclass(frozen=True)
class CycleRow:
    process: str
    step: str
    finished: int
    average_hours: float
    longest_hours: float


def _hours(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 3600, 1)


def _cycle(label: tuple[str, str], spans: list[float]) -> CycleRow:
    return CycleRow(label[0], label[1], len(spans), round(sum(spans) / len(spans), 1), max(spans))


def cycle_times(session: Session, cases: list[Case]) -> list[CycleRow]:
    """Filing to end per process (step ``全流程``), and opening to completion per step."""
    spans: dict[tuple[str, str], list[float]] = defaultdict(list)
    for case in cases:
        if case.finished_at:
            spans[(case.definition.name, "全流程")].append(_hours(case.created_at, case.finished_at))
    for task in _tasks(session, cases):
        if task.status == "completed" and task.completed_at and task.kind == "review":
            spans[(task.case.definition.name, task.name)].append(_hours(task.created_at, task.completed_at))
    return [_cycle(label, values) for label, values in sorted(spans.items(), key=lambda i: (i[0][0], i[0][1] != "全流程"))]


def _tasks(session: Session, cases: list[Case]) -> list[HumanTask]:
    ids = [c.id for c in cases]
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id.in_(ids)).order_by(HumanTask.id))) if ids else []


@dataclass(frozen=True)
class OverdueRow:
    process: str
    with_deadline: int
    overdue: int

    @property
    def share(self) -> float:
        return round(100 * self.overdue / self.with_deadline, 1) if self.with_deadline else 0.0


def overdue(session: Session, cases: list[Case], now: datetime | None = None) -> list[OverdueRow]:
    """Steps with a due date, and how many were (or still are) handled after it."""
    moment = now or utcnow()
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for task in _tasks(session, cases):
        if task.due_at is None or task.status == "cancelled":
            continue
        late = (task.completed_at or moment) > task.due_at
        row = tally[task.case.definition.name]
        row[0], row[1] = row[0] + 1, row[1] + int(late)
    return [OverdueRow(process, total, late) for process, (total, late) in sorted(tally.items())]


@dataclass
class FilledTable:
    table: AnnualTable
    rows: list[list[str]] = field(default_factory=list)
    subtotals: list[tuple[str, float]] = field(default_factory=list)
    process_exists: bool = False

    @property
    def headers(self) -> list[str]:
        return ["学会", "事项编号"] + [c.title for c in self.table.columns]


def annual_tables(session: Session, scope: AuditScope, year: int, known_processes: set[str]) -> list[FilledTable]:
    """The 年报附表 of ``year``: completed cases of each table's processes whose date (or end) falls in it."""
    keys = {k for t in ANNUAL_TABLES for k in t.processes}
    done = session.scalars(select(Case).where(Case.org_id.in_(scope.org_ids), Case.process_key.in_(keys),
                                              Case.status == "completed").order_by(Case.org_id, Case.id))
    by_process: dict[str, list[Case]] = defaultdict(list)
    for case in done:
        by_process[case.process_key].append(case)
    return [_fill(t, [c for k in t.processes for c in by_process[k] if _year_of(t, c) == year],
                  bool(known_processes & set(t.processes))) for t in ANNUAL_TABLES]


def _fill(table: AnnualTable, cases: list[Case], exists: bool) -> FilledTable:
    filled = FilledTable(table, process_exists=exists)
    totals: dict[str, float] = defaultdict(float)
    for case in cases:
        filled.rows.append([case.org.name, case.number] + [_value(case, c) for c in table.columns])
        amount = _pick(case.data, table.amount_field)
        if table.amount_field and isinstance(amount, (int, float)):
            totals[_origin(case.data)] += float(amount)
    filled.subtotals = sorted(totals.items())
    return filled


def _pick(data: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((data[n] for n in names if data.get(n) not in (None, "")), None)


def _value(case: Case, column: Column) -> str:
    if column.fields == ("_origin",):
        return _origin(case.data)
    value = _pick(case.data, column.fields)
    if value is None and column.fields[-1] == "name":
        value = case.title
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_name(v) for v in value)
    return "" if value is None else str(value)


def _name(item: Any) -> str:
    """A 明细子表 row shown by its name, if it has one."""
    if isinstance(item, dict):
        name = item.get("name") or item.get("title")
        if name:
            return f"{item['post']} {name}" if item.get("post") else str(name)
        return "；".join(str(v) for v in item.values())
    return str(item)


def _origin(data: dict[str, Any]) -> str:
    foreign = bool(data.get("foreign_matter")) or any(w in str(data.get("donor_type", "")) for w in ("境外", "港澳台"))
    return "境外" if foreign else "境内"


def _year_of(table: AnnualTable, case: Case) -> int | None:
    raw = _pick(case.data, table.date_fields)
    if isinstance(raw, str) and len(raw) >= 4 and raw[:4].isdigit():
        return int(raw[:4])
    moment = case.finished_at or case.created_at
    return beijing_date(moment).year if moment else None


def to_csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")

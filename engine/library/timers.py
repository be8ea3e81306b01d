"""Deadlines of human steps: the policy declared on each user task, checked at deploy, and the timers
the worker acts on (reminder before due, escalation after due, a step that ends by itself).

User-task properties: ``dueDays`` (a number), ``dueCalendar`` (``working`` — Chinese working days, the
default — or ``calendar``), ``remindBefore`` (days, default 1), ``onTimeout=approve`` (a 报备 or a
公示 that ends by itself when its period runs out, with ``timeoutData`` such as ``objection_received:false``)
and ``political=true`` (a political pre-review, which never passes by timeout: deploy refuses ``onTimeout``
or an interrupting timer on it).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.library.models import Timer
from engine.runtime.bpmn_checks import Problem
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import task_properties
from engine.workdays import BEIJING, add_working_days, is_working_day

REMIND, ESCALATE, TIMEOUT = "remind", "escalate", "timeout"
CALENDARS = ("working", "calendar")
TIMEOUT_ACTIONS = ("approve",)


def _props(spec: Any) -> dict[str, Any]:
    return task_properties(spec)


def is_political(props: dict[str, Any]) -> bool:
    return str(props.get("political", "")).lower() == "true"


def step_policies(task_specs: Iterable[Any], problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Deploy time: the deadline policy of every human step, with its problems appended."""
    specs = list(task_specs)
    policies: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if not getattr(spec, "manual", False):
            continue
        props = _props(spec)
        policy = {"political": is_political(props), "dueCalendar": props.get("dueCalendar", "working"),
                  "onTimeout": props.get("onTimeout"), "remindBefore": props.get("remindBefore", "1"),
                  "dueDays": props.get("dueDays"), "timeoutData": props.get("timeoutData")}
        problems.extend(_policy_problems(spec.bpmn_id, policy))
        policies[spec.bpmn_id] = policy
    problems.extend(_political_boundary_timers(specs, policies))
    return policies


def _policy_problems(element: str, policy: dict[str, Any]) -> list[Problem]:
    problems = []
    if policy["dueCalendar"] not in CALENDARS:
        problems.append(Problem("dueCalendar 应为 working（工作日）或 calendar（自然日）", element))
    if not str(policy["remindBefore"]).isdigit():
        problems.append(Problem("remindBefore 必须是整数", element))
    if policy["onTimeout"] is not None and policy["onTimeout"] not in TIMEOUT_ACTIONS:
        problems.append(Problem("onTimeout 只能是 approve（期满视为无异议）", element))
    if policy["onTimeout"] is not None and policy["dueDays"] is None:
        problems.append(Problem("设置了 onTimeout 的步骤必须有 dueDays（期限）", element))
    if policy["political"] and policy["onTimeout"] is not None:
        problems.append(Problem("政治把关节点（political=true）不允许超时自动通过", element))
    return problems


def _political_boundary_timers(specs: list[Any], policies: dict[str, dict[str, Any]]) -> list[Problem]:
    problems = []
    for spec in specs:
        name = getattr(spec, "name", "")
        if not name.endswith(".BoundaryEventSplit"):
            continue
        attached = name[: -len(".BoundaryEventSplit")]
        if not policies.get(attached, {}).get("political"):
            continue
        for event in spec.outputs:
            definition = getattr(event, "event_definition", None)
            if getattr(event, "cancel_activity", False) and "Timer" in type(definition).__name__:
                problems.append(Problem(f"政治把关节点 {attached} 上不允许设置中断型定时器（超时不得自动通过）", event.bpmn_id))
    return problems


def due_at(start: datetime, days: int, calendar: str) -> datetime:
    if calendar == "calendar":
        return start + timedelta(days=days)
    return add_working_days(start, days)


def _remind_at(due: datetime, days: int, calendar: str) -> datetime:
    if calendar == "calendar":
        return due - timedelta(days=days)
    current, remaining = due, days
    while remaining > 0:
        current -= timedelta(days=1)
        if is_working_day(current.replace(tzinfo=timezone.utc).astimezone(BEIJING).date()):
            remaining -= 1
    return current


def schedule(session: Session, case: Case, rows: list[HumanTask]) -> None:
    """For each newly opened step with a deadline: its due date by its calendar, and its timers (one INSERT)."""
    policies = (case.definition.properties or {}).get("steps") or {}
    timers: list[dict[str, Any]] = []
    for row in rows:
        policy = policies.get(row.bpmn_id)
        if not policy or policy.get("dueDays") is None:
            continue
        days, calendar = int(policy["dueDays"]), policy.get("dueCalendar", "working")
        due = due_at(row.created_at, days, calendar)
        if row.due_at != due:  # an unchanged row costs the flush nothing
            row.due_at = due
        timers.extend(_timers_for(case, row, policy, calendar))
    if timers:
        session.connection().execute(ADD_TIMERS, timers)


ADD_TIMERS = insert(Timer)


def _timers_for(case: Case, row: HumanTask, policy: dict[str, Any], calendar: str) -> list[dict[str, Any]]:
    assert row.due_at is not None
    timers = []
    remind = _remind_at(row.due_at, int(policy.get("remindBefore") or 0), calendar)
    if policy.get("remindBefore") not in (None, "0") and remind > row.created_at:
        timers.append({"case_id": case.id, "task_id": row.id, "kind": REMIND, "due_at": remind})
    ends_by_itself = policy.get("onTimeout") == "approve" and not policy.get("political")
    kind = TIMEOUT if ends_by_itself else ESCALATE
    timers.append({"case_id": case.id, "task_id": row.id, "kind": kind, "due_at": row.due_at})
    return timers

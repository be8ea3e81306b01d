"""The timer worker (``baguan worker``): reminders, escalations and steps that end by themselves.

Any number of workers may run against one PostgreSQL: each due timer is claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` and marked fired in the same transaction as its effect, so it fires
exactly once; if a worker dies mid-way its transaction rolls back and another worker fires the timer.
On SQLite every write transaction is exclusive (BEGIN IMMEDIATE), and one worker suffices.
Tests pass ``now`` instead of sleeping.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import journal as audit
from engine.cases.operations import complete_by_timeout
from engine.db import utcnow
from engine.identity.models import Membership, User
from engine.library.hooks import data_defaults
from engine.library.models import Timer
from engine.library.timers import ESCALATE, REMIND, TIMEOUT
from engine.roles import role_label
from engine.runtime.cycle import lock_case
from engine.runtime.models import HumanTask

TIMEOUT_COMMENT = "期限届满，未收到不同意见，系统按规定视为同意"


@dataclass(frozen=True)
class Fired:
    timer_id: int
    kind: str
    case_id: int
    outcome: str


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_due(sessions: sessionmaker[Session], now: datetime | None = None, limit: int = 1000,
            name: str | None = None) -> list[Fired]:
    """Fire every timer due at ``now``, one transaction per timer; returns what was done."""
    fired: list[Fired] = []
    while len(fired) < limit:
        with sessions() as session, session.begin():
            outcome = _fire_next(session, now or utcnow(), name or worker_name())
        if outcome is None:
            break
        fired.append(outcome)
    return fired


def _fire_next(session: Session, now: datetime, name: str) -> Fired | None:
    timer = session.scalar(select(Timer).where(Timer.status == "pending", Timer.due_at <= now)
                           .order_by(Timer.due_at, Timer.id).limit(1).with_for_update(skip_locked=True))
    if timer is None:
        return None
    lock_case(session, timer.case_id)
    row = session.get(HumanTask, timer.task_id, populate_existing=True)
    assert row is not None
    if row.status != "open":
        timer.status, timer.outcome = "cancelled", "步骤已办结"
    else:
        timer.status, timer.outcome = "fired", ACTIONS[timer.kind](session, row, now)
    timer.fired_at, timer.fired_by = now, name[:100]
    session.flush()
    return Fired(timer.id, timer.kind, timer.case_id, timer.outcome or "")


def _remind(session: Session, row: HumanTask, now: datetime) -> str:
    message = f"“{row.case.title}”的“{row.name}”将于 {row.due_at:%Y-%m-%d} 到期，请及时办理"
    users = _tell(session, row, _handlers(session, row), "task.reminder", message)
    audit.record(session, "task.reminded", org_id=row.org_id, case_id=row.case_id, task_id=row.id,
                 step=row.bpmn_id, role=row.role, due_at=row.due_at, told=users)
    return f"已提醒 {len(users)} 人"


def _escalate(session: Session, row: HumanTask, now: datetime) -> str:
    message = (f"“{row.case.title}”的“{row.name}”（{role_label(row.role)}）已于 {row.due_at:%Y-%m-%d} 超期未办，"
               "请督办")
    users = _tell(session, row, _secretaries_general(session, row), "task.overdue", message)
    audit.record(session, "task.escalated", org_id=row.org_id, case_id=row.case_id, task_id=row.id,
                 step=row.bpmn_id, role=row.role, due_at=row.due_at, told=users)
    return f"已超期，已告知秘书长 {len(users)} 人"


def _time_out(session: Session, row: HumanTask, now: datetime) -> str:
    """A 报备 or 公示 period ran out with no objection: the step completes as 同意, by the system."""
    policy = ((row.case.definition.properties or {}).get("steps") or {}).get(row.bpmn_id) or {}
    complete_by_timeout(session, row, data_defaults({"dataDefaults": policy.get("timeoutData")}), TIMEOUT_COMMENT, now)
    return "期满视为同意"


ACTIONS: dict[str, Callable[[Session, HumanTask, datetime], str]] = {
    REMIND: _remind, ESCALATE: _escalate, TIMEOUT: _time_out}


def _handlers(session: Session, row: HumanTask) -> list[int]:
    if row.assignee_id is not None:
        return [row.assignee_id]
    return _holders(session, row.role, row.scope_org_id)


def _secretaries_general(session: Session, row: HumanTask) -> list[int]:
    return _holders(session, "secretary_general", row.org_id)


def _holders(session: Session, role: str, org_id: int) -> list[int]:
    return list(session.scalars(select(User.id).join(Membership, Membership.user_id == User.id)
                                .where(Membership.role == role, Membership.org_id == org_id, User.active.is_(True))))


def _tell(session: Session, row: HumanTask, user_ids: list[int], kind: str, message: str) -> list[int]:
    """In-app notifications when the notification centre is installed; the audit event is always kept."""
    try:
        from engine.cases.notify import notify
    except ImportError:
        return user_ids
    for user_id in user_ids:
        notify(session, user_id, kind, message, row.case)
    return user_ids


def serve(sessions: sessionmaker[Session], interval: float, stop: threading.Event,
          log: Callable[[str], None] = print) -> None:
    """Poll until ``stop`` is set (Ctrl-C / SIGTERM in the command)."""
    name = worker_name()
    while not stop.is_set():
        for item in run_due(sessions, name=name):
            log(f"定时器 {item.timer_id}（{item.kind}）事项 {item.case_id}：{item.outcome}")
        stop.wait(interval)

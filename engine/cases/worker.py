"""The timer worker (``baguan worker``): reminders, escalations and steps that end by themselves.

Any number of workers may run against one PostgreSQL: each due timer is claimed with
``SELECT … FOR UPDATE SKIP LOCKED`` and marked fired in the same transaction as its effect, so it fires
exactly once; if a worker dies mid-way its transaction rolls back and another worker fires the timer.
On SQLite every write transaction is exclusive (BEGIN IMMEDIATE), and one worker suffices.

A timer whose action raises does not stop the worker: its transaction is rolled back, the failure is
recorded in a fresh one (attempts, last error, next attempt after an exponential backoff), and after
``MAX_ATTEMPTS`` the timer is parked until an admin retries it. A lost database connection does not stop
the worker either: it waits (with backoff) and reconnects. Each loop writes a heartbeat row and compacts the
open-task and per-person tallies (``engine.runtime.open_counts``, ``engine.runtime.user_counts``).
Tests pass ``now`` instead of sleeping.
"""
from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine import journal as audit
from engine.cases.operations import complete_by_timeout
from engine.db import utcnow
from engine.errors import BaguanError, Conflict, NotFound
from engine.identity.models import Membership, User
from engine.library.hooks import data_defaults
from engine.library.models import Timer, WorkerHeartbeat
from engine.library.timers import ESCALATE, REMIND, TIMEOUT
from engine.roles import role_label
from engine.runtime import open_counts as open_counts
from engine.runtime import user_counts as user_counts
from engine.runtime.cycle import lock_case
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import TimerStatus

TIMEOUT_COMMENT = "期限届满，未收到不同意见，系统按规定视为同意"
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
RECONNECT_BASE_SECONDS = 1.0
RECONNECT_CAP_SECONDS = 60.0
HEARTBEAT_KEEP = timedelta(days=7)
MAX_ERROR_CHARS = 2000
PENDING, FAILED, PARKED = TimerStatus.PENDING, TimerStatus.FAILED, TimerStatus.PARKED


@dataclass(frozen=True)
class Fired:
    timer_id: int
    kind: str
    case_id: int
    outcome: str
    failed: bool = False


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_due(sessions: sessionmaker[Session], now: datetime | None = None, limit: int = 1000,
            name: str | None = None) -> list[Fired]:
    """Fire every timer due at ``now``, one transaction per timer; returns what was done, failures included."""
    fired: list[Fired] = []
    while len(fired) < limit:
        outcome = _fire_one(sessions, now or utcnow(), name or worker_name())
        if outcome is None:
            break
        fired.append(outcome)
    return fired


def _fire_one(sessions: sessionmaker[Session], now: datetime, name: str) -> Fired | None:
    """Fire the next due timer; if its action raises, roll back and record the failure in a fresh transaction.

    Database connection errors are not the timer's fault: they propagate, and :func:`serve` reconnects."""
    claimed: list[int] = []
    try:
        with sessions() as session, session.begin():
            return _fire_next(session, now, name, claimed)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - one bad timer must not stop the worker (issue 11.2)
        if not claimed:
            raise
        return _record_failure(sessions, claimed[0], now, name, exc)


def _fire_next(session: Session, now: datetime, name: str, claimed: list[int]) -> Fired | None:
    timer = session.scalar(select(Timer).where(Timer.status.in_((PENDING, FAILED)), Timer.due_at <= now,
                                               or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))
                           .order_by(Timer.due_at, Timer.id).limit(1).with_for_update(skip_locked=True))
    if timer is None:
        return None
    claimed.append(timer.id)
    lock_case(session, timer.case_id)
    row = session.get(HumanTask, timer.task_id, populate_existing=True)
    assert row is not None
    if row.status != "open":
        timer.status, timer.outcome = "cancelled", "步骤已办结"
    else:
        timer.status, timer.outcome = "fired", ACTIONS[timer.kind](session, row, now)
    timer.fired_at, timer.fired_by, timer.next_attempt_at = now, name[:100], None
    session.flush()
    return Fired(timer.id, timer.kind, timer.case_id, timer.outcome or "")


def retry_delay(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: 1, 2, 4, 8 … minutes, at most six hours."""
    return min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_CAP)


def error_text(exc: BaseException) -> str:
    message = exc.message if isinstance(exc, BaguanError) else str(exc)
    return f"{type(exc).__name__}: {message}"[:MAX_ERROR_CHARS]


def _record_failure(sessions: sessionmaker[Session], timer_id: int, now: datetime, name: str,
                    exc: BaseException) -> Fired:
    with sessions() as session, session.begin():
        timer = session.scalar(select(Timer).where(Timer.id == timer_id).with_for_update())
        assert timer is not None
        timer.attempts += 1
        timer.last_error, timer.fired_by = error_text(exc), name[:100]
        if timer.attempts >= MAX_ATTEMPTS:
            timer.status, timer.next_attempt_at = PARKED, None
            timer.outcome = f"连续失败 {timer.attempts} 次，已停放，等待管理员处理"
            org_id = session.scalar(select(Case.org_id).where(Case.id == timer.case_id))
            audit.record(session, "timer.parked", org_id=org_id, case_id=timer.case_id, timer_id=timer.id,
                         kind=timer.kind, attempts=timer.attempts, error=timer.last_error)
        else:
            timer.status, timer.next_attempt_at = FAILED, now + retry_delay(timer.attempts)
            timer.outcome = f"第 {timer.attempts} 次执行失败，将于 {timer.next_attempt_at:%Y-%m-%d %H:%M} 重试"
        return Fired(timer.id, timer.kind, timer.case_id, f"{timer.outcome}（{timer.last_error}）", failed=True)


def failed_timers(session: Session) -> list[Timer]:
    """Timers that failed (waiting to be retried) or are parked, parked first, oldest first."""
    return list(session.scalars(select(Timer).where(Timer.status.in_((FAILED, PARKED)))
                                .order_by(Timer.status.desc(), Timer.due_at, Timer.id)))


def retry_timer(session: Session, timer_id: int, actor: User) -> Timer:
    """An admin sends a failed or parked timer back to the worker, with a fresh count of attempts."""
    timer = session.scalar(select(Timer).where(Timer.id == timer_id).with_for_update())
    if timer is None:
        raise NotFound("定时器不存在")
    if timer.status not in (FAILED, PARKED):
        raise Conflict("该定时器没有失败，不需要重试")
    previous = timer.status
    timer.status, timer.attempts, timer.next_attempt_at = PENDING, 0, None
    timer.outcome = "管理员已安排重试"
    org_id = session.scalar(select(Case.org_id).where(Case.id == timer.case_id))
    audit.record(session, "timer.retried", actor=actor, org_id=org_id, case_id=timer.case_id, timer_id=timer.id,
                 kind=timer.kind, previous=previous, error=timer.last_error)
    session.flush()
    return timer


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


def beat(session: Session, name: str, now: datetime | None = None) -> None:
    """Record that worker ``name`` is alive; rows of workers gone for a week are dropped."""
    now = now or utcnow()
    row = session.get(WorkerHeartbeat, name[:100])
    if row is None:
        session.add(WorkerHeartbeat(name=name[:100], host=socket.gethostname()[:255], pid=os.getpid(), last_seen=now))
    else:
        row.last_seen = now
    session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < now - HEARTBEAT_KEEP))
    session.flush()


def heartbeats(session: Session) -> list[WorkerHeartbeat]:
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_seen.desc())))


def worker_heartbeat_age(session: Session, now: datetime | None = None) -> timedelta | None:
    """How long ago the most recent worker loop ran (None: no worker has ever run)."""
    last = session.scalar(select(func.max(WorkerHeartbeat.last_seen)))
    return None if last is None else (now or utcnow()) - last


def describe(item: Fired) -> str:
    if item.failed:
        return f"定时器 {item.timer_id}（{item.kind}）事项 {item.case_id} 执行失败：{item.outcome}"
    return f"定时器 {item.timer_id}（{item.kind}）事项 {item.case_id}：{item.outcome}"


def reconnect_delay(failures: int) -> float:
    return min(RECONNECT_BASE_SECONDS * 2 ** max(failures - 1, 0), RECONNECT_CAP_SECONDS)


def serve(sessions: sessionmaker[Session], interval: float, stop: threading.Event,
          log: Callable[[str], None] = print) -> None:
    """Poll until ``stop`` is set (Ctrl-C / SIGTERM in the command); database errors are waited out."""
    name, failures = worker_name(), 0
    while not stop.is_set():
        try:
            with sessions() as session, session.begin():
                beat(session, name)
                open_counts.compact(session)
                user_counts.compact(session)
            for item in run_due(sessions, name=name):
                log(describe(item))
        except DBAPIError as exc:
            failures += 1
            delay = reconnect_delay(failures)
            log(f"数据库连接失败（{_first_line(exc)}），{delay:g} 秒后重试（第 {failures} 次）")
            stop.wait(delay)
            continue
        if failures:
            log(f"数据库连接已恢复（此前失败 {failures} 次）")
            failures = 0
        stop.wait(interval)


def _first_line(exc: DBAPIError) -> str:
    cause = exc.orig or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]

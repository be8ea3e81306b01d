"""Timers the worker could not fire (failed, waiting for a retry, or parked) and the workers' heartbeats."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, url_for

from engine.cases import worker as worker
from engine.library.models import Timer
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import TimerStatus

from ..extensions import commit, db_session
from . import bp
from .views import me

STALE_AFTER = timedelta(minutes=5)
KIND_LABELS = {"remind": "到期提醒", "escalate": "超期督办", "timeout": "期满自动同意"}


@dataclass(frozen=True)
class TimerRow:
    timer: Timer
    case: Case | None
    task: HumanTask | None
    status_label: str
    kind_label: str


@bp.route("/timers")
def timers() -> Any:
    session = db_session()
    rows = [TimerRow(t, session.get(Case, t.case_id), session.get(HumanTask, t.task_id),
                     TimerStatus.label_of(t.status), KIND_LABELS.get(t.kind, t.kind))
            for t in worker.failed_timers(session)]
    age = worker.worker_heartbeat_age(session)
    return render_template("admin/timers.html", rows=rows, beats=worker.heartbeats(session), age=age,
                           stale=age is None or age > STALE_AFTER, max_attempts=worker.MAX_ATTEMPTS)


@bp.route("/timers/<int:timer_id>/retry", methods=("POST",))
def retry_timer(timer_id: int) -> Any:
    timer = worker.retry_timer(db_session(), timer_id, me())
    commit()
    flash(f"定时器 {timer.id} 已重新排队，定时器进程下一轮将再次执行", "success")
    return redirect(url_for("admin.timers"))

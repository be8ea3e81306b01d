"""Views of the tasks blueprint: thin wrappers around engine.queries and engine.cases.complete_task."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import cases, queries
from engine.access import can_act_on
from engine.errors import Conflict, InvalidData
from engine.models import HumanTask, User
from engine.roles import role_label

from .. import formrender
from ..cases.context import case_page, step_schema
from ..extensions import commit, db_session
from ..templating import decision_label, local_time
from . import bp

PAGE_SIZE = 20
ACTION_TITLES = {"comment": "审批意见", "decision": "处理结果"}


@dataclass(frozen=True)
class Pager:
    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def requested_pager(total: int = 0) -> Pager:
    raw = request.args.get("page", "1")
    number = int(raw) if raw.isdigit() and 0 < int(raw) <= 100000 else 1
    return Pager(number, total, PAGE_SIZE)


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@bp.route("/")
@login_required
def inbox() -> Any:
    pager = requested_pager()
    page = queries.todo_tasks(db_session(), me(), limit=PAGE_SIZE, offset=pager.offset)
    return render_template("tasks/inbox.html", page=page, pager=Pager(pager.number, page.total, PAGE_SIZE))


@bp.route("/done")
@login_required
def done() -> Any:
    pager = requested_pager()
    page = queries.done_tasks(db_session(), me(), limit=PAGE_SIZE, offset=pager.offset)
    return render_template("tasks/done.html", page=page, pager=Pager(pager.number, page.total, PAGE_SIZE))


@bp.route("/started")
@login_required
def started() -> Any:
    pager = requested_pager()
    page = queries.started_cases(db_session(), me(), limit=PAGE_SIZE, offset=pager.offset)
    current = queries.current_tasks(db_session(), page.items)
    return render_template("tasks/started.html", page=page, current=current,
                           pager=Pager(pager.number, page.total, PAGE_SIZE))


@bp.route("/tasks/<int:task_id>", methods=("GET", "POST"))
@login_required
def task(task_id: int) -> Any:
    row = queries.get_task(db_session(), me(), task_id)
    if request.method == "GET":
        return render_task(row)
    schema = step_schema(row.case, row)
    decision, comment = request.form.get("decision", ""), request.form.get("comment", "")
    data = formrender.parse_form(schema, request.form) if schema else {}
    try:
        cases.complete_task(db_session(), me(), task_id, decision, comment, data)
    except InvalidData as error:
        db_session().rollback()
        return render_task(row, values=data, errors=error.fields, comment=comment), 422
    except Conflict as error:
        db_session().rollback()
        return render_task(row, conflict=error.message), 409
    commit()
    flash(f"已{decision_label(decision)}：{row.name}", "success")
    return redirect(url_for("tasks.inbox"))


def render_task(row: HumanTask, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                comment: str = "", conflict: str | None = None) -> str:
    case = row.case
    may_act = row.status == "open" and can_act_on(me(), row)
    if values is None:
        values = dict(case.data) if row.kind == "draft" else {}
    return render_template(
        "tasks/task.html", task=row, page=case_page(db_session(), case), may_act=may_act,
        decisions=cases.allowed_decisions(row) if may_act else [], form_schema=step_schema(case, row),
        values=values, errors=errors or {}, comment=comment, conflict=conflict, note=readonly_note(row, may_act),
        extra_titles=ACTION_TITLES)


def readonly_note(row: HumanTask, may_act: bool) -> str | None:
    """Why the page is read-only for this user, in one sentence."""
    if may_act:
        return None
    if row.status == "completed":
        who = row.completer.name if row.completer else "他人"
        return f"此任务已由{who}于 {local_time(row.completed_at)} 处理（{decision_label(row.decision)}），以下为只读内容。"
    if row.status == "cancelled":
        return "此任务已取消（事项已流转或已结束），以下为只读内容。"
    if row.kind == "review" and row.submitter_id == me().id:
        return "您是本事项的发起人，不能审批本人发起的事项。"
    return f"此步骤由{role_label(row.role)}办理，您可以查看，但不能处理。"

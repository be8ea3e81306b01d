"""Views of the tasks blueprint: thin wrappers around engine.queries and engine.cases.complete_task."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.cases import attachments as attachments
from engine.cases import inbox as inbox
from engine.cases import operations as cases
from engine.cases import queries as queries
from engine.errors import Conflict, InvalidData
from engine.identity import access as access
from engine.review import separation as separation
from engine.review import task_ops as task_ops
from engine.roles import role_label
from engine.runtime.models import HumanTask
from engine.vocabulary import TaskKind

from ..cases.context import approval_checks, case_page, reference_choices, step_schema
from ..cases.route import route_view
from ..extensions import commit, db_session
from ..opinion import approve_checks, opinion_field, parse_step_form, without_fields, without_opinion
from ..templating import decision_label, local_time
from . import bp
from .current import me
from .extras import task_extras
from .filters import FILTER_KEYS, parse_filter, process_choices, society_choices

PAGE_SIZE = 20
ACTION_TITLES = {"comment": "审批意见", "decision": "处理结果", "return_to": "退回到"}


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


TAB_SORTS = {"todo": inbox.SORTS, "done": (inbox.NEWEST, inbox.OLDEST), "started": (inbox.NEWEST, inbox.OLDEST),
             "copied": (inbox.NEWEST, inbox.OLDEST)}


def _listing(tab: str, lister: Any, template: str, **extra: Any) -> Any:
    session, user = db_session(), me()
    f = parse_filter(session, user, request.args, TAB_SORTS[tab])
    pager = requested_pager()
    page = lister(session, user, limit=PAGE_SIZE, offset=pager.offset, f=f)
    context = {key: value(page) for key, value in extra.items()}
    return render_template(template, page=page, pager=Pager(pager.number, page.total, PAGE_SIZE), tab=tab,
                           filters=f, counts=queries.tab_counts(session, user), sorts=TAB_SORTS[tab],
                           processes=process_choices(session), societies=society_choices(session, user), **context)


@bp.route("/", endpoint="inbox")
@login_required
def inbox_view() -> Any:
    from engine.review import batch as batch
    return _listing("todo", queries.todo_tasks, "tasks/inbox.html",
                    needs_input=lambda page: {t.id: batch.fields_to_fill(t) for t in page.items
                                              if t.kind == TaskKind.REVIEW})


@bp.route("/done")
@login_required
def done() -> Any:
    return _listing("done", queries.done_tasks, "tasks/done.html")


@bp.route("/started")
@login_required
def started() -> Any:
    return _listing("started", queries.started_cases, "tasks/started.html",
                    current=lambda page: queries.current_tasks(db_session(), page.items))


@bp.route("/copied")
@login_required
def copied() -> Any:
    return _listing("copied", queries.copied_cases, "tasks/copied.html",
                    current=lambda page: queries.current_tasks(db_session(), [c.case for c in page.items]))


@bp.route("/tasks/<int:task_id>", methods=("GET", "POST"))
@login_required
def task(task_id: int) -> Any:
    row = queries.get_task(db_session(), me(), task_id)
    if request.method != "POST":
        return render_task(row)
    schema = step_schema(row.case, row)
    decision, comment = request.form.get("decision", ""), request.form.get("comment", "")
    return_to = (request.form.get("return_to") or "").strip() or None
    data = parse_step_form(schema, request.form, opinion_field(schema, row.kind), comment)
    if decision == "save_draft":
        return save_draft(row, data, comment)
    try:
        cases.complete_task(db_session(), me(), task_id, decision, comment, data, return_to=return_to)
    except InvalidData as error:
        db_session().rollback()
        return render_task(row, values=data, errors=error.fields, comment=comment,
                           conflict=None if error.fields else error.message), 422
    except Conflict as error:
        db_session().rollback()
        return render_task(row, conflict=error.message), 409
    commit()
    flash(f"已{decision_label(decision)}：{row.name}", "success")
    return redirect(url_for("tasks.inbox"))


def render_task(row: HumanTask, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                comment: str = "", conflict: str | None = None) -> str:
    case = row.case
    may_act = row.status == "open" and access.may_act(db_session(), me(), row)
    draft = attachments.draft_of(db_session(), me(), row) if may_act else None
    if values is None and draft is not None:
        values, comment = dict(draft.data), comment or draft.comment or ""
    if values is None:
        values = dict(case.data) if row.kind == "draft" else {}
    schema = step_schema(case, row)
    opinion = opinion_field(schema, row.kind)
    blocked = separation.conflicting_step(db_session(), row, me()) if may_act else None
    decisions = [] if blocked or not may_act else task_ops.decisions_for(db_session(), row, me(),
                                                                         cases.allowed_decisions(row))
    page = case_page(db_session(), case, me())
    bar_checks = approve_checks(schema) if "approve" in decisions else []
    return render_template(
        "tasks/task.html", task=row, page=page, may_act=may_act,
        decisions=decisions, full_schema=schema, bar_checks=bar_checks,
        form_schema=without_fields(without_opinion(schema, opinion), {c.key for c in bar_checks}), opinion=opinion,
        route=route_view(db_session(), case, page.hidden),
        values=values, errors=errors or {}, comment=comment or (values.get(opinion.key, "") if opinion else ""),
        conflict=conflict, note=blocked_note(blocked) if blocked else readonly_note(row, may_act),
        extra_titles=ACTION_TITLES, approve_checks=[] if bar_checks else approval_checks(schema),
        references=reference_choices(db_session(), schema, [case.org]) if may_act else {},
        **task_extras(row, may_act))


def save_draft(row: HumanTask, data: dict[str, Any], comment: str) -> Any:
    """暂存: keep what was typed so far (form fields and opinion) without deciding."""
    try:
        attachments.save_draft(db_session(), me(), row.id, data, comment)
    except InvalidData as error:
        db_session().rollback()
        return render_task(row, values=data, errors=error.fields, comment=comment,
                           conflict=None if error.fields else error.message), 422
    commit()
    flash("已暂存，下次打开此任务时会自动填入", "success")
    return redirect(url_for("tasks.task", task_id=row.id))


def blocked_note(step: str) -> str:
    """Why a holder of the step may not decide it: they decided another review level of the case."""
    return f"{separation.RULE}：您已办理本事项的“{step}”，不能再办理此步骤；可转办给本步骤的其他办理人。"


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


@bp.app_template_global()
def page_url(endpoint: str, number: int) -> str:
    """The current list with its filters kept, at page ``number``."""
    args = {k: v for k, v in request.args.items() if k in FILTER_KEYS}
    return url_for(endpoint, **args, page=number)


@bp.app_template_global()
def sort_label(sort: str) -> str:
    return inbox.SORT_LABELS.get(sort, sort)

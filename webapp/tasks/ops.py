"""Case-level operations from the case page: 撤回, 撤销, 抄送, 已阅, 催办. Each redirects back to the case."""
from __future__ import annotations

from typing import Any, Callable

from flask import flash, redirect, request, url_for
from flask_login import login_required

from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.review import case_ops as review_ops
from engine.review import task_ops as task_ops
from engine.runtime.models import Case, HumanTask

from ..extensions import commit, db_session
from . import bp
from .current import me


def _run(case_id: int, operation: Callable[[], Any], done: str) -> Any:
    """Run one operation; a refusal is shown on the case page instead of an error page."""
    try:
        operation()
    except (InvalidData, Conflict, PermissionDenied) as error:
        db_session().rollback()
        detail = "；".join(error.fields.values()) if isinstance(error, InvalidData) and error.fields else ""
        flash(error.message + (f"：{detail}" if detail else ""), "error")
        return redirect(url_for("cases.case", case_id=case_id))
    commit()
    flash(done, "success")
    return redirect(url_for("cases.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/recall")
@login_required
def recall(case_id: int) -> Any:
    return _run(case_id, lambda: review_ops.recall_case(db_session(), me(), case_id, request.form.get("reason")),
                "已撤回，事项回到起草步骤，可修改后重新提交")


@bp.post("/cases/<int:case_id>/withdraw")
@login_required
def withdraw(case_id: int) -> Any:
    return _run(case_id, lambda: review_ops.withdraw_case(db_session(), me(), case_id, request.form.get("reason")),
                "事项已撤销")


@bp.post("/cases/<int:case_id>/copy")
@login_required
def copy(case_id: int) -> Any:
    usernames = [u for u in request.form.getlist("users") if u]
    return _run(case_id, lambda: review_ops.copy_case(db_session(), me(), case_id, usernames,
                                                      request.form.get("note")), "已抄送")


@bp.post("/cases/<int:case_id>/read")
@login_required
def mark_read(case_id: int) -> Any:
    return _run(case_id, lambda: review_ops.mark_copy_read(db_session(), me(), case_id), "已标记为已阅")


@bp.post("/cases/<int:case_id>/urge")
@login_required
def urge(case_id: int) -> Any:
    return _run(case_id, lambda: review_ops.urge_case(db_session(), me(), case_id, request.form.get("message")),
                "已催办当前处理人")


@bp.app_template_global()
def case_ops(case: Case, tasks: list[HumanTask]) -> review_ops.CaseOps:
    return review_ops.case_ops(db_session(), me(), case, tasks)


@bp.app_template_global()
def copy_candidates(case: Case) -> list[Any]:
    return [u for u in review_ops.copy_candidates(db_session(), case) if u.id != me().id]


@bp.get("/cases/<int:case_id>/print")
@login_required
def print_case(case_id: int) -> Any:
    """打印: the print-ready 审批单 with every opinion, signature line and time."""
    from flask import render_template

    from engine.cases import queries as queries
    from engine.db import utcnow

    from ..cases.context import case_page
    from ..cases.route import meeting_words, references, route_view
    session = db_session()
    found = queries.get_case(session, me(), case_id)
    page = case_page(session, found, me())
    return render_template("tasks/print.html", page=page, printed_at=utcnow(), printed_by=me(),
                           route=route_view(session, found, page.hidden), references=references(found),
                           meeting=meeting_words(dict(found.data or {})))


def _task_run(task_id: int, operation: Callable[[], Any], done: str, back_to_task: bool = True) -> Any:
    target = url_for("tasks.task", task_id=task_id)
    try:
        operation()
    except (InvalidData, Conflict, PermissionDenied) as error:
        db_session().rollback()
        detail = "；".join(error.fields.values()) if isinstance(error, InvalidData) and error.fields else ""
        flash(error.message + (f"：{detail}" if detail else ""), "error")
        return redirect(target)
    commit()
    flash(done, "success")
    return redirect(target if back_to_task else url_for("tasks.inbox"))


@bp.post("/tasks/<int:task_id>/transfer")
@login_required
def transfer(task_id: int) -> Any:
    return _task_run(task_id, lambda: task_ops.transfer_task(db_session(), me(), task_id, request.form.get("user", ""),
                                                             request.form.get("note")), "已转办", back_to_task=False)


@bp.post("/tasks/<int:task_id>/delegate")
@login_required
def delegate(task_id: int) -> Any:
    return _task_run(task_id, lambda: task_ops.delegate_task(db_session(), me(), task_id, request.form.get("user", ""),
                                                             request.form.get("note")),
                     "已委派，对方回复意见后任务将回到您的待办", back_to_task=False)


@bp.post("/tasks/<int:task_id>/reply")
@login_required
def reply(task_id: int) -> Any:
    return _task_run(task_id, lambda: task_ops.resolve_delegation(db_session(), me(), task_id,
                                                                  request.form.get("opinion")),
                     "已回复意见，任务已交回委派人", back_to_task=False)


@bp.post("/tasks/<int:task_id>/signers")
@login_required
def add_signer(task_id: int) -> Any:
    position = request.form.get("position", "")
    return _task_run(task_id, lambda: task_ops.add_signer(db_session(), me(), task_id, request.form.get("user", ""),
                                                          position, request.form.get("note")),
                     "已加签", back_to_task=position != "before")


@bp.post("/signers/<int:signer_id>/remove")
@login_required
def remove_signer(signer_id: int) -> Any:
    signer = task_ops.remove_signer(db_session(), me(), signer_id)
    task_id = signer.task_id
    commit()
    flash("已减签", "success")
    return redirect(url_for("tasks.task", task_id=task_id))


def _case_name(result: Any) -> str:
    return result.case_number or f"任务 {result.task_id}"


@bp.post("/tasks/batch")
@login_required
def batch_approve() -> Any:
    """批量审批 from the 待办 list: one opinion for every selected task; a summary of what could not be done."""
    from engine.review import batch as batch
    raw = request.form.getlist("task_ids")
    ids = [int(i) for i in raw if i.isdigit() and len(i) < 10]
    try:
        results = batch.batch_approve(db_session(), me(), ids, request.form.get("comment"),
                                      checks_confirmed=request.form.get("checks_confirmed") == "1")
    except InvalidData as error:
        db_session().rollback()
        flash(error.message, "error")
        return redirect(url_for("tasks.inbox"))
    commit()
    done = [r for r in results if r.ok]
    if done:
        flash(f"批量审批：已同意 {len(done)} 件（{'、'.join(_case_name(r) for r in done)}）", "success")
    else:
        flash("批量审批：没有事项被同意", "warning")
    for r in results:
        if not r.ok:
            flash(f"{_case_name(r)} 未能审批：{r.message}", "warning")
    return redirect(url_for("tasks.inbox"))

"""批量审批: approve several selected tasks with one opinion. Each approval is its own audited completion in
its own savepoint, so one task that cannot be approved (stale, not eligible, a form to fill, a political
pre-review step) does not block the rest.

A step whose form lets its checks be confirmed for the whole batch (``x-batchConfirm``, e.g. 秘书长审核's
“已核对业务与合规要点”) is approved only when the reviewer confirmed them (``checks_confirmed``); the
confirmation fills those checks for each case. Other forms' checks are never filled by a batch."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

import forms as form_lib
from engine import journal as audit
from engine.cases import operations as cases
from engine.cases.queries import get_task
from engine.errors import BaguanError, Conflict, InvalidData
from engine.identity.models import User
from engine.review.case_ops import political_step
from engine.runtime.models import HumanTask
from engine.vocabulary import TaskKind

MAX_BATCH = 100


@dataclass(frozen=True)
class BatchResult:
    task_id: int
    ok: bool
    message: str
    case_number: str | None = None
    missing: tuple[str, ...] = ()
    """The Chinese titles of the form fields this task needs before it can be approved."""


def fields_to_fill(row: HumanTask) -> list[str]:
    """The titles of the fields 同意 on ``row`` needs and a batch (which submits no form) cannot give:
    required fields and the answers ``x-requiredForApprove`` asks for, except checks the reviewer may confirm for
    the whole batch (``x-batchConfirm``). Empty when a batch can approve it."""
    form = row.case.definition.forms.get(row.form_key) if row.form_key else None
    if form is None:
        return []
    confirmable = form_lib.batch_confirmed_answers(form)
    names = [*form_lib.validate_data(form, confirmable), *form_lib.approval_refusals(form, confirmable)]
    return field_titles(form, names)


def field_titles(form: dict[str, Any] | None, names: Any) -> list[str]:
    """The Chinese titles of form fields named by key or dotted path (``key_tasks.0.name``), without repeats."""
    declared = (form or {}).get("properties", {})
    titles = [declared.get(str(name).split(".")[0], {}).get("title") for name in names]
    return list(dict.fromkeys(t for t in titles if t))


def batchable(row: HumanTask) -> bool:
    """Offered for 批量同意 in the 待办 list: a review step whose form needs nothing filled in."""
    return row.kind == TaskKind.REVIEW and not fields_to_fill(row)


def clean_ids(task_ids: Any) -> list[int]:
    if not isinstance(task_ids, list) or not task_ids or not all(type(i) is int and 0 < i < 2**31 for i in task_ids):
        raise InvalidData("请选择要审批的任务", {"task_ids": "应为任务 id 的非空列表"})
    ids = list(dict.fromkeys(task_ids))
    if len(ids) > MAX_BATCH:
        raise InvalidData("一次选择的任务太多", {"task_ids": f"一次最多批量审批 {MAX_BATCH} 件"})
    return ids


def batch_approve(session: Session, user: User, task_ids: Any, comment: str | None,
                  checks_confirmed: bool = False) -> list[BatchResult]:
    """同意 each selected task with the same opinion; returns one result per task, in the order given.

    ``checks_confirmed``: the reviewer confirms, once for the batch, the checks of the forms that allow it."""
    ids = clean_ids(task_ids)
    if not isinstance(checks_confirmed, bool):
        raise InvalidData("核对确认无效", {"checks_confirmed": "应为 true 或 false"})
    results = [_approve_one(session, user, task_id, comment, checks_confirmed) for task_id in ids]
    audit.record(session, "task.batch_completed", actor=user, comment=(comment or "").strip()[:cases.MAX_COMMENT],
                 approved=[r.task_id for r in results if r.ok], failed=[r.task_id for r in results if not r.ok],
                 checks_confirmed=checks_confirmed)
    return results


def _approve_one(session: Session, user: User, task_id: int, comment: str | None,
                 checks_confirmed: bool) -> BatchResult:
    savepoint = session.begin_nested()
    number, missing, form = None, [], None
    try:
        row = get_task(session, user, task_id)
        number, missing = row.case.number, fields_to_fill(row)
        if political_step(row.case, row.bpmn_id):
            raise Conflict("政治把关步骤不能批量审批，请逐件办理")
        form = row.case.definition.forms.get(row.form_key) if row.form_key else None
        data = form_lib.batch_confirmed_answers(form) if checks_confirmed else {}
        cases.complete_task(session, user, task_id, cases.APPROVE, comment, data)
    except BaguanError as error:
        savepoint.rollback()
        fields = getattr(error, "fields", None) or {}
        hint = "" if checks_confirmed else _confirm_hint(form, fields)
        if isinstance(error, InvalidData) and missing and not hint:
            return BatchResult(task_id, False, f"{error.message}（需填写表单：{'、'.join(missing)}，请逐件办理）", number,
                               tuple(missing))
        detail = "；".join(f"{v}" for v in list(fields.values())[:3])
        return BatchResult(task_id, False, error.message + (f"（{detail}）" if detail else "") + hint, number)
    savepoint.commit()
    return BatchResult(task_id, True, "已同意", number)


def _confirm_hint(form: dict[str, Any] | None, fields: dict[str, Any]) -> str:
    """How to pass a check the batch could have filled: tick the confirmation."""
    if not form_lib.batch_confirmable(form) or not set(fields) & set(form_lib.batch_confirmed_answers(form)):
        return ""
    return "；如已逐件核对，请勾选“已逐件核对所选事项的核对项”后再批量同意"

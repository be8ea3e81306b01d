"""What a form's answers mean for a decision, checked on every completion (web form, API, 批量审批):
the checks 同意 requires (``x-requiredForApprove``), amounts that may not exceed what was approved
(``x-notAboveCase``), and references that must name a completed case of the same society (``x-caseRef``).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import forms as form_lib
from engine.errors import InvalidData
from engine.runtime.models import Case, ProcessDefinition
from engine.vocabulary import CaseStatus, Decision


def check_answers(form: dict[str, Any] | None, decision: Decision, data: dict[str, Any],
                  case_data: dict[str, Any]) -> None:
    """Refuse 同意 when a required check is answered otherwise (or left out: 批量审批 fills in nothing), and
    any amount above the approved one; the other errors of the form are reported with them."""
    if form is None:
        return
    refusals = form_lib.approval_refusals(form, data) if decision == Decision.APPROVE else {}
    if refusals:
        titles = "、".join(f"“{form['properties'][name]['title']}”" for name in refusals)
        raise InvalidData(f"核对未通过，不能同意：{titles}", _with_other_errors(form, data, refusals))
    over = form_lib.limit_refusals(form, data, case_data)
    if over:
        raise InvalidData("超过已批准的金额，不予办理", _with_other_errors(form, data, over))


def _with_other_errors(form: dict[str, Any], data: dict[str, Any], refusals: dict[str, str]) -> dict[str, str]:
    """The refusals first (批量审批 shows the first few), then the form's other errors."""
    others = form_lib.validate_data(form, data)
    return {**refusals, **{k: v for k, v in others.items() if k not in refusals}}


def check_references(session: Session, form: dict[str, Any] | None, org_id: int, data: dict[str, Any]) -> None:
    """Each ``x-caseRef`` field that is filled must name a completed case of that process of the same society."""
    errors = {}
    for name, process_key in form_lib.case_refs(form).items():
        number = str(data.get(name) or "").strip()
        if not number:
            continue
        linked = session.scalar(select(Case).where(Case.number == number, Case.org_id == org_id))
        label = _process_name(session, process_key)
        if linked is None or linked.process_key != process_key:
            errors[name] = f"本学会没有编号为 {number} 的“{label}”事项，请从本学会已办结的{label}中选择"
        elif linked.status != CaseStatus.COMPLETED:
            errors[name] = f"{label} {number} 尚未办结，须先完成{label}（先备案后收费）"
    if errors:
        raise InvalidData("关联单据无效", errors)


def completed_cases(session: Session, org_ids: list[int], process_key: str) -> list[Case]:
    """The completed cases of a process in these societies, newest first (the choices of a reference picker)."""
    return list(session.scalars(select(Case).where(
        Case.org_id.in_(org_ids), Case.process_key == process_key, Case.status == CaseStatus.COMPLETED)
        .order_by(Case.id.desc()).limit(200)))


def _process_name(session: Session, process_key: str) -> str:
    name = session.scalar(select(ProcessDefinition.name).where(ProcessDefinition.key == process_key)
                          .order_by(ProcessDefinition.version.desc()).limit(1))
    return name or process_key

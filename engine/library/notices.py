"""公示 steps: a public notice ends when its period has run (the worker's timeout completes it as 无异议) or
when an objection received during it is taken up; nobody closes it early as 无异议.

A user task marks itself a 公示 with the property ``publicNotice=true`` (with ``dueDays`` and
``onTimeout=approve``); its form carries ``objection_received``.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy.orm import Session

from engine.clock import to_beijing
from engine.db import utcnow
from engine.errors import Conflict
from engine.identity.models import User
from engine.runtime.bpmn_checks import Problem
from engine.runtime.models import HumanTask
from engine.vocabulary import Decision

OBJECTION_FIELD = "objection_received"


def is_public_notice(properties: dict[str, Any]) -> bool:
    return str(properties.get("publicNotice", "")).lower() == "true"


def notice_problems(task_specs: Iterable[Any]) -> list[Problem]:
    """Deploy time: a 公示 must have a period (``dueDays``) that ends it by itself (``onTimeout=approve``)."""
    problems = []
    for spec in task_specs:
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
        if is_public_notice(props) and (not props.get("dueDays") or props.get("onTimeout") != "approve"):
            problems.append(Problem("公示节点（publicNotice=true）须设置公示期 dueDays 和 onTimeout=approve（期满无异议自动结束）",
                                    spec.bpmn_id))
    return problems


def beijing_text(value: datetime) -> str:
    local = to_beijing(value)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def check_notice_period(session: Session, row: HumanTask, user: User, decision: str, comment: str,
                        data: dict[str, Any]) -> bool:
    """Refuse a human 同意 that would end a 公示 before its period has run, unless it reports an objection
    (which the process then takes up); never intercepts (returns False)."""
    rule = ((row.case.definition.properties or {}).get("stepRules") or {}).get(row.bpmn_id) or {}
    if decision != Decision.APPROVE or not is_public_notice(rule) or data.get(OBJECTION_FIELD) is True:
        return False
    if row.due_at is None or utcnow() >= row.due_at:
        return False
    raise Conflict(f"公示期未满，不得提前结束：“{row.name}”至 {beijing_text(row.due_at)} 期满，"
                   f"期满无异议由系统自动结束；公示期内收到异议的，请勾选“公示期内收到异议”后提交，转入异议处理")

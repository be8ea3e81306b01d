"""Hooks of the process library into deploy, projection and case operations (one place to find them)."""
from __future__ import annotations

import json
from typing import Any, Iterable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.identity.models import Organisation, User
from engine.library import filing, guards, meetings, multisign, notices, rules, timers
from engine.runtime.models import Case, HumanTask, ProcessDefinition
from engine.runtime.specs import task_properties


def deploy_properties(task_specs: Iterable[Any], problems: list[Any]) -> dict[str, Any]:
    """Checked at deploy and stored with the version: deadlines, meetings and decision tables used."""
    specs = list(task_specs)
    found: dict[str, Any] = {"steps": timers.step_policies(specs, problems)}
    problems.extend(notices.notice_problems(specs))
    meeting_rules = meetings.meeting_properties(specs, problems)
    if meeting_rules:
        found["meetings"] = meeting_rules
    checks = step_rules(specs)
    if checks:
        found["stepRules"] = checks
    tables = rules.table_fingerprints(specs)
    if tables:
        found["decisionTables"] = tables
    return found


def tasks_opened(session: Session, case: Case, workflow: BpmnWorkflow, created: list[HumanTask],
                 ready: dict[str, Task]) -> None:
    """After the task projection changed: due dates and timers of new steps, decisions taken, and each new
    会签 instance given to its signer."""
    timers.schedule(session, case, created)
    rules.record_decisions(session, case, workflow)
    multisign.assign_instances(session, created, ready)


def before_submit(session: Session, definition: ProcessDefinition, org: Organisation, data: dict[str, Any],
                  case_id: int | None = None) -> dict[str, Any]:
    """On filing or resubmitting: refuse what the rules forbid (with the legal reason), then return
    the data the engine computes for the gateways and decision tables."""
    guards.check(definition.properties or {}, data)
    computed = rules.computed_data(session, definition, org, data, case_id)
    return {**data_defaults(definition.properties or {}), **computed}


def data_defaults(properties: dict[str, Any]) -> dict[str, Any]:
    """``dataDefaults="objection_received:false,round:0"``: variables later gateways read before any step set them."""
    found: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in str(properties.get("dataDefaults") or "").split(","))):
        name, _, text = item.partition(":")
        found[name.strip()] = json.loads(text.strip()) if text.strip() else None
    return found


def step_rules(task_specs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Per-step rules checked on completion: ``distinctFrom`` (steps whose completers may not act again,
    e.g. 三审 by three different people), ``requiresFiled`` (a field holding the number of a case of
    the same society that must be filed first (``filing.gates_missing``): nothing is published before its
    event is filed) and ``publicNotice`` (a 公示 that only its period or an objection ends, see
    engine.library.notices)."""
    found: dict[str, dict[str, Any]] = {}
    for spec in task_specs:
        props = task_properties(spec)
        rule = {k: props[k] for k in ("distinctFrom", "requiresFiled", "publicNotice") if props.get(k)}
        if rule:
            found[spec.bpmn_id] = rule
    return found


def check_step_rules(session: Session, row: HumanTask, user: User, decision: str, comment: str,
                     data: dict[str, Any]) -> bool:
    """Refuse a completion that breaks its step's rules; never intercepts (returns False)."""
    rule = ((row.case.definition.properties or {}).get("stepRules") or {}).get(row.bpmn_id)
    if not rule or decision not in ("approve", "submit"):
        return False
    earlier = [s.strip() for s in str(rule.get("distinctFrom", "")).split(",") if s.strip()]
    if earlier and user.id in _completers(session, row.case_id, earlier):
        raise PermissionDenied("同一稿件的各审核环节不得由同一人担任（三审须三人）")
    field = rule.get("requiresFiled")
    if field:
        _check_filed(session, row, str(row.case.data.get(field) or "").strip())
    return False


def _completers(session: Session, case_id: int, steps: list[str]) -> set[int]:
    rows = session.execute(select(HumanTask.completed_by).where(
        HumanTask.case_id == case_id, HumanTask.bpmn_id.in_(steps), HumanTask.status == "completed"))
    return {r.completed_by for r in rows if r.completed_by is not None}


def _check_filed(session: Session, row: HumanTask, number: str) -> None:
    if not number:
        return
    linked = session.scalar(select(Case).where(Case.number == number, Case.org_id == row.org_id))
    if linked is None:
        raise InvalidData("关联单据不存在", {"linked_case": f"本学会没有编号为 {number} 的事项"})
    if linked.status == "completed":
        return
    if not filing.entry_gates(linked):
        raise Conflict(f"关联事项 {number} 尚未同意或备案办结，稿件不得发布（先批后办）")
    missing = filing.gates_missing(session, linked)
    if missing:
        raise Conflict(f"关联事项 {number} 尚未通过入口关审核（{'、'.join(missing)}），稿件不得发布（先批后办）")

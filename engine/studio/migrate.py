"""Moving running cases to a newer version of their process, where SpiffWorkflow's diff says it is safe.

A case may move when every task it has already reached (completed, ready or waiting) still exists in the
new version; predicted future tasks are re-planned from the new diagram. Each move is audited in the
same transaction and the case's open human tasks take the new step names, roles, forms and due dates.
"""
from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound
from engine.identity.models import User
from engine.roles import task_scope_org_id
from engine.runtime.cycle import CaseRun, load_workflow, lock_case, read_workflow
from engine.runtime.deploy import specs_for
from engine.runtime.models import Case, HumanTask, ProcessDefinition
from engine.runtime.projection import ready_human_tasks, step_info
from engine.runtime.serialization import REGISTRY
from engine.studio.versions import get_version
from engine.vocabulary import AuditAction
from engine.workdays import add_working_days

REACHED = TaskState.COMPLETED | TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class MigrationCheck:
    case_id: int
    number: str
    title: str
    from_version: int
    safe: bool
    reason: str


def _unsafe_reason(workflow: BpmnWorkflow, target: ProcessDefinition) -> tuple[str, object]:
    spec, subprocess_specs = specs_for(target)
    top, sub_diffs = diff_workflow(REGISTRY, workflow, spec, subprocess_specs)
    reached = [t for t in top.removed if t.state & REACHED]
    if reached:
        names = "、".join(sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id or t.task_spec.name for t in reached}))
        return f"已到达的步骤在新版本中被删除：{names}", top
    if any(diff is None for diff in sub_diffs.values()) or any(d.removed for d in sub_diffs.values() if d):
        return "子流程在新版本中被删除或修改", top
    return "", top


def preview(session: Session, key: str, version: int) -> list[MigrationCheck]:
    """Every running case of ``key`` on an older version, with whether it can move to ``version``."""
    target = get_version(session, key, version)
    rows = session.scalars(select(Case).join(Case.definition).where(
        Case.process_key == key, Case.status == "running", ProcessDefinition.version < version).order_by(Case.id))
    checks = []
    for case in rows:
        reason, _ = _unsafe_reason(read_workflow(case), target)
        checks.append(MigrationCheck(case.id, case.number, case.title, case.definition.version, not reason,
                                     reason or "可以安全迁移"))
    return checks


def migrate_case(session: Session, actor: User, case_id: int, version: int, key: str | None = None) -> Case:
    """Move one running case to ``version`` of its process, or raise Conflict saying why it cannot."""
    if session.get(Case, case_id) is None:
        raise NotFound("事项不存在")
    case = lock_case(session, case_id)
    if key is not None and case.process_key != key:
        raise NotFound("事项不属于此流程")
    target = get_version(session, case.process_key, version)
    if case.status != "running" or case.definition.version >= version:
        raise Conflict(f"事项 {case.number} 不在运行中或已在第 {case.definition.version} 版")
    workflow = load_workflow(case)
    reason, top = _unsafe_reason(workflow, target)
    if reason:
        raise Conflict(f"事项 {case.number} 不能迁移：{reason}")
    from_version = case.definition.version
    spec, subprocess_specs = specs_for(target)
    migrate_workflow(top, workflow, spec)
    workflow.subprocess_specs = dict(subprocess_specs)
    with CaseRun(session, case, workflow) as run:
        run.run()
        case.definition_id, case.definition = target.id, target
        _refresh_open_tasks(session, case, workflow)
        run.project()
        run.record(AuditAction.CASE_MIGRATED, actor=actor, number=case.number, process=case.process_key,
                   from_version=from_version, to_version=version)
    return case


def _refresh_open_tasks(session: Session, case: Case, workflow: BpmnWorkflow) -> None:
    """Open rows whose task is still ready take the new step's name, role, form and due date."""
    ready = {str(t.id): step_info(t) for t in ready_human_tasks(workflow)}
    rows = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    for row in rows:
        info = ready.get(row.spiff_task_id)
        if info is None:
            continue
        row.name, row.role, row.kind, row.form_key, row.bpmn_id = info.name, info.role, info.kind, info.form_key, info.bpmn_id
        row.scope_org_id = task_scope_org_id(case.org, info.role)
        row.due_at = add_working_days(row.created_at, info.due_days) if info.due_days else None

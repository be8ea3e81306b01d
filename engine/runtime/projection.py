"""Keeping the human_task table in step with the READY human tasks of a workflow."""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.db import insert_rows, utcnow, write_rows
from engine.roles import resolve_role, task_scope_org_id
from engine.runtime.extensions import installed
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import StepInfo, task_properties
from engine.workdays import add_working_days


def effective_lane(task: Task) -> str | None:
    """A task inside a called process takes the lane of the call activity that started it."""
    while task.task_spec.lane is None and task.workflow.parent_task_id is not None:
        task = task.workflow.top_workflow.get_task_from_id(task.workflow.parent_task_id)
    return task.task_spec.lane


def step_info(task: Task) -> StepInfo:
    spec: Any = task.task_spec
    props = task_properties(spec)
    role = resolve_role(effective_lane(task))
    due = props.get("dueDays")
    return StepInfo(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, role.code if role else "admin",
                    props.get("kind", "review"), props.get("formKey"),
                    int(due) if due is not None and str(due).isdigit() else None,
                    str(props.get("political", "")).lower() == "true")


def step_properties(spec: Any, subprocess_specs: dict[str, Any], bpmn_id: str) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of the task spec ``bpmn_id`` in a process or its called processes."""
    for each in (spec, *subprocess_specs.values()):
        for task_spec in each.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == bpmn_id:
                return task_properties(task_spec)
    return {}


def is_political(spec: Any, subprocess_specs: dict[str, Any], bpmn_id: str) -> bool:
    """A political pre-review step (user-task property ``political=true``): never skipped, never batched."""
    return str(step_properties(spec, subprocess_specs, bpmn_id).get("political", "")).lower() == "true"


def ready_human_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


OPEN_ROWS = select(HumanTask).where(HumanTask.case_id == bindparam("case_id"), HumanTask.status == "open")
"""Built once: building and hashing it costs more than running it, on every state change."""


def sync_human_tasks(session: Session, case: Case, workflow: BpmnWorkflow, new_case: bool = False) -> list[HumanTask]:
    """Cancel rows whose Spiff task is no longer READY; add a row for each newly READY task (``new_case``: the
    case was inserted in this transaction and has no rows yet, so none are read)."""
    ready = {str(t.id): t for t in ready_human_tasks(workflow)}
    with session.no_autoflush:  # a row just decided is flushed with the new rows below, in one flush
        found = [] if new_case else session.scalars(OPEN_ROWS, {"case_id": case.id})
        open_rows = [row for row in found if row.status == "open"]
    now = utcnow()
    for row in open_rows:
        if row.spiff_task_id not in ready:
            row.status, row.completed_at = "cancelled", now
    known = {row.spiff_task_id for row in open_rows if row.status == "open"}
    created = [_new_row(case, task, now) for key, task in ready.items() if key not in known]
    write_rows(session, [each for each in session.dirty if isinstance(each, HumanTask)])
    insert_rows(session, created)
    session.flush()
    for opened in installed().tasks_opened:
        opened(session, case, workflow, created, ready)
        session.flush()
    return created


def _new_row(case: Case, task: Task, now: Any) -> HumanTask:
    info = step_info(task)
    return HumanTask(
        case_id=case.id, org_id=case.org_id, scope_org_id=task_scope_org_id(case.org, info.role),
        submitter_id=case.created_by, assignee_id=case.created_by if info.kind == "draft" else None,
        role=info.role, spiff_task_id=str(task.id), bpmn_id=info.bpmn_id, name=info.name, kind=info.kind,
        form_key=info.form_key, status="open", created_at=now,
        due_at=add_working_days(now, info.due_days) if info.due_days else None,
        completed_at=None, completed_by=None, decision=None, comment=None, submitted=None,
    )

"""The one workflow cycle every state change of a case goes through: lock → load → run → project → audit → save.

    with CaseRun.lock(session, case_id) as run:      # lock the case row, load its workflow
        run.complete(run.ready_task(row), data)        # run SpiffWorkflow with the sandboxed engine
        run.record("task.completed", actor=user, ...)  # append the audit event
    # leaving the block: project the human tasks (if the workflow moved) and save with the version fence

Everything happens in the caller's transaction (flush only); the request or command commits once.
"""
from __future__ import annotations

import uuid
from types import TracebackType
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import ColumnElement, Select, bindparam, select
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine import journal
from engine.db import utcnow, write_row
from engine.errors import BaguanError, Conflict, ExpressionError, SandboxViolation
from engine.runtime.budget import check_state_size, run_budget
from engine.runtime.deploy import specs_for
from engine.runtime.faults import step_failure
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import sync_human_tasks
from engine.runtime.serialization import SERIALIZER_VERSION, dump_state, load_state
from engine.vocabulary import CaseStatus

MAX_TASK_DEPTH = 800


def _locking(finds_case: ColumnElement[bool]) -> Select[tuple[Case]]:
    """The case row ``finds_case`` picks, locked, with its state and definition loaded."""
    return (select(Case).where(finds_case).with_for_update(of=Case)
            .options(undefer(Case.state), joinedload(Case.definition)).execution_options(populate_existing=True))


LOCK_CASE = _locking(Case.id == bindparam("case_id"))
LOCK_CASE_OF_TASK = _locking(Case.id == select(HumanTask.case_id).where(HumanTask.id == bindparam("task_id"))
                             .scalar_subquery())
"""Built once: building and hashing these costs more than running them, on every state change."""


def lock_case(session: Session, case_id: int) -> Case:
    """Lock a case row (with its state loaded) for an operation that changes it."""
    return session.execute(LOCK_CASE, {"case_id": case_id}).scalar_one()


def lock_case_of_task(session: Session, task_id: int) -> Case | None:
    """Lock the case a task belongs to, found and locked in one statement (None: no such task)."""
    return session.execute(LOCK_CASE_OF_TASK, {"task_id": task_id}).scalar_one_or_none()


def load_workflow(case: Case) -> BpmnWorkflow:
    """The case's workflow with its timers refreshed and its automatic steps run (read-only callers too)."""
    workflow = load_state(case.state, case.serializer_version, *specs_for(case.definition))
    workflow.refresh_timers()
    run_engine(workflow)
    return workflow


def read_workflow(case: Case) -> BpmnWorkflow:
    """The case's stored workflow as it is, for pages that only read it (nothing runs)."""
    return load_state(case.state, case.serializer_version, *specs_for(case.definition))


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run the automatic steps after something changed the workflow, within the run budget; engine errors
    become BaguanError."""
    with run_budget() as budget:
        try:
            workflow.do_engine_steps()
        except (SpiffWorkflowException, RecursionError, ArithmeticError, ExpressionError, SandboxViolation) as exc:
            raise budget.exceeded or step_failure(exc) from None
        if budget.exceeded is not None:
            raise budget.exceeded
        budget.check_clock()
    _check_depth(workflow)


def _check_depth(workflow: BpmnWorkflow) -> None:
    """SpiffWorkflow searches the task tree only 1000 levels deep: a longer automatic loop makes the
    instance look finished without reaching its end event, so stop well before that depth."""
    for tree in (workflow, *workflow.subprocesses.values()):
        level, depth = [tree.task_tree], 0
        while level:
            depth += 1
            if depth > MAX_TASK_DEPTH:
                raise BaguanError("流程运行出错：自动步骤循环次数过多（可能是死循环），已停止")
            level = [child for task in level for child in task.children]


def ready_task(workflow: BpmnWorkflow, row: HumanTask) -> Task:
    """The READY SpiffWorkflow task behind an open task row (Conflict when it is no longer ready)."""
    try:
        task = workflow.get_task_from_id(uuid.UUID(row.spiff_task_id))
    except (SpiffWorkflowException, ValueError):
        task = None
    if task is None or task.state != TaskState.READY:
        raise Conflict("该任务已不在待办状态（可能已超时或已被处理）")
    return task


class CaseRun:
    """One state change of one case; see the module docstring for the order of its parts."""

    def __init__(self, session: Session, case: Case, workflow: BpmnWorkflow, new_case: bool = False) -> None:
        self.session, self.case, self.workflow = session, case, workflow
        self._moved, self._new_case = False, new_case

    @classmethod
    def lock(cls, session: Session, case_id: int) -> CaseRun:
        """Lock and load an existing case."""
        case = lock_case(session, case_id)
        return cls(session, case, load_workflow(case))

    @classmethod
    def begin(cls, session: Session, case: Case, workflow: BpmnWorkflow) -> CaseRun:
        """A case being filed: its row is new (nobody else can see it yet), its workflow fresh."""
        run = cls(session, case, workflow, new_case=True)
        run.run()
        return run

    def __enter__(self) -> CaseRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.save()

    def run(self) -> None:
        run_engine(self.workflow)
        self._moved = True

    def ready_task(self, row: HumanTask) -> Task:
        return ready_task(self.workflow, row)

    def complete(self, task: Task, data: dict[str, Any]) -> None:
        """Complete a READY task with ``data`` and run what follows automatically."""
        with run_budget() as budget:
            try:
                task.set_data(**data)
                task.run()
            except (SpiffWorkflowException, RecursionError, ArithmeticError) as exc:
                raise budget.exceeded or step_failure(exc) from None
            self.run()

    def reset_to(self, task: Task) -> None:
        """Go back to an earlier completed task (退回, 撤回) and run from there."""
        self.workflow.reset_from_task_id(task.id)
        self.run()

    def cancel(self, status: CaseStatus) -> None:
        """End the case without reaching its end event (不同意, 撤销)."""
        self.workflow.cancel()
        self.case.status = status
        self._moved = True

    def record(self, action: str, **detail: Any) -> None:
        """Append an audit event about this case (in this transaction)."""
        journal.record(self.session, action, org_id=self.case.org_id, case_id=self.case.id, **detail)

    def project(self) -> list[HumanTask]:
        """Bring the human-task rows in step with the workflow's READY human tasks."""
        self._moved = False
        created = sync_human_tasks(self.session, self.case, self.workflow, self._new_case)
        self._new_case = False
        return created

    def save(self) -> None:
        """Project if the workflow moved since, store the state, mark the case finished, flush with the fence."""
        if self._moved:
            self.project()
        case = self.case
        case.state = dump_state(self.workflow)
        check_state_size(case.state)
        case.serializer_version = SERIALIZER_VERSION
        case.updated_at = utcnow()
        if case.status == CaseStatus.RUNNING and self.workflow.is_completed():
            case.status, case.finished_at = CaseStatus.COMPLETED, case.updated_at
            self.record("case.completed", number=case.number)
        elif case.status != CaseStatus.RUNNING and case.finished_at is None:
            case.finished_at = case.updated_at
        try:
            write_row(self.session, case)
            self.session.flush()
        except StaleDataError:
            raise Conflict("该事项刚被他人处理，请刷新后重试") from None

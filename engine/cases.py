"""Named operations on cases: start one, and complete a task with a decision.

Each operation locks the case, runs SpiffWorkflow with the sandboxed engine, saves the state, refreshes
the human-task projection and appends its audit event, all in the caller's transaction (flush only).
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, undefer
from sqlalchemy.orm.exc import StaleDataError

import forms as form_lib

from . import audit, catalogue, counters, library, meetings, multisign
from .access import can_act_on, holds, may_act, proxy_principal, task_scope_org_id, visible_org_ids
from .db import utcnow
from .deploy import latest_definition, specs_for
from .errors import BaguanError, Conflict, ExpressionError, InvalidData, NotFound, PermissionDenied, SandboxViolation
from .models import Case, HumanTask, Organisation, User
from .roles import role_label
from .run_faults import step_failure
from .projection import StepInfo, ready_human_tasks, step_info, sync_human_tasks
from .scripting import SAFE_SCRIPT_ENGINE
from .serialization import SERIALIZER_VERSION, dump_state, load_state

APPROVE, RETURN, REJECT, SUBMIT = "approve", "return", "reject", "submit"
DECISIONS_BY_KIND = {"draft": [SUBMIT], "review": [APPROVE, RETURN, REJECT], "meeting": [APPROVE, RETURN, REJECT],
                     "report": [SUBMIT]}
DECISION_LABELS = {APPROVE: "同意", RETURN: "退回修改", REJECT: "不同意", SUBMIT: "提交"}
MAX_COMMENT = 2000
MAX_TITLE = 200
MAX_TASK_DEPTH = 800


class AccessDenied(NotFound):
    """Answers like NotFound, but the web layer records the attempt in the audit trail.

    ``detail`` goes to the audit event only; the client sees the message (and ``fields`` if given).
    """

    def __init__(self, message: str, detail: dict[str, str] | None = None,
                 fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields)
        self.detail = detail or {}


def start_case(session: Session, user: User, process_key: str, org: Organisation, title: str,
               data: dict[str, Any]) -> Case:
    """File a new case: the submitter's data completes the drafting step, the first review opens."""
    definition = latest_definition(session, process_key)
    if org.id not in visible_org_ids(session, user):
        raise AccessDenied("组织不存在或您无权访问")
    if not catalogue.may_start(session, definition.key, org.id):
        raise PermissionDenied("此流程已停用，或本学会不在可发起此流程的范围内")
    workflow = BpmnWorkflow(*specs_for(definition), script_engine=SAFE_SCRIPT_ENGINE)
    signers = multisign.signer_lists(session, specs_for(definition), org, user)
    for first in workflow.get_tasks(state=TaskState.READY):
        first.set_data(**signers)
    _run_engine(workflow)
    draft = _ready_draft(workflow)
    _check_can_start(user, org, draft)
    title = _clean_title(title)
    form = definition.forms.get(draft.form_key) if draft and draft.form_key else None
    _validate(form, data, required=True)
    data = {**data, **library.before_submit(session, definition, org, data)}
    case = Case(number=_next_case_number(session, org, definition.properties.get("caseCode", "SX")),
                definition_id=definition.id, process_key=definition.key, org_id=org.id, title=title,
                status="running", data={}, state="{}", serializer_version=SERIALIZER_VERSION,
                created_by=user.id, definition=definition, org=org, creator=user)
    session.add(case)
    session.flush()
    audit.record(session, "case.started", actor=user, org_id=org.id, case_id=case.id, number=case.number,
                 process=definition.key, version=definition.version, title=title)
    rows = sync_human_tasks(session, case, workflow)
    draft_row = next((r for r in rows if r.kind == "draft"), None)
    if draft_row is not None:
        _apply(session, case, workflow, draft_row, user, SUBMIT, "", data)
    _save(session, case, workflow)
    return case


def _check_can_start(user: User, org: Organisation, draft: StepInfo | None) -> None:
    if draft is not None and not holds(user, draft.role, task_scope_org_id(org, draft.role)):
        raise PermissionDenied(f"只有本组织的{role_label(draft.role)}可以发起此流程")
    if draft is None and not any(m.org_id == org.id for m in user.memberships):
        raise PermissionDenied("您在该组织中没有角色，不能发起此流程")


def _ready_draft(workflow: BpmnWorkflow) -> StepInfo | None:
    for task in ready_human_tasks(workflow):
        info = step_info(task)
        if info.kind == "draft":
            return info
    return None


def complete_task(session: Session, user: User, task_id: int, decision: str, comment: str | None,
                  data: dict[str, Any] | None, return_to: str | None = None) -> Case:
    """Complete an open task with 同意 / 退回修改 / 不同意 (or 提交 on a drafting step).

    ``return_to`` names the earlier completed step a 退回 goes back to (default: the drafting step)."""
    row = _task_for_update(session, user, task_id)
    case = row.case
    decision, comment, data = _check_decision(row, decision, comment, data or {})
    form = case.definition.forms.get(row.form_key) if row.form_key else None
    if row.kind == "meeting":
        _validate(form, data, required=True)
        data = meetings.resolve(case.definition.properties, row.bpmn_id, decision, data)
    elif decision in (APPROVE, SUBMIT):
        _validate(form, data, required=True)
        if decision == SUBMIT and row.kind == "draft":
            data = {**data, **library.before_submit(session, case.definition, case.org, data, case.id)}
    else:
        data = {}
    if any(intercept(session, row, user, decision, comment, data) for intercept in INTERCEPTORS):
        session.flush()
        return case
    workflow = load_workflow(case)
    _apply(session, case, workflow, row, user, decision, comment, data, return_to)
    _save(session, case, workflow)
    return case


Interceptor = Callable[[Session, HumanTask, User, str, str, dict[str, Any]], bool]
INTERCEPTORS: list[Interceptor] = []
INTERCEPTORS.insert(0, library.check_step_rules)
"""Checks run on a validated decision before the workflow moves (委派, 加签): each may refuse it (raise) or
take it over (return True: the step stays open and the workflow is not run)."""


def run_engine(workflow: BpmnWorkflow) -> None:
    """Run the automatic steps after an operation changed the workflow (e.g. a reset)."""
    _run_engine(workflow)


def save_workflow(session: Session, case: Case, workflow: BpmnWorkflow) -> None:
    """Store the workflow state of a case changed by an operation (flush only)."""
    _save(session, case, workflow)


def ready_task_of(workflow: BpmnWorkflow, row: HumanTask) -> Task:
    """The READY SpiffWorkflow task behind an open task row (Conflict when it is no longer ready)."""
    return _ready_spiff_task(workflow, row)


def lock_case(session: Session, case_id: int) -> Case:
    """Lock a case row (with its state loaded) for an operation that changes it."""
    return session.execute(select(Case).where(Case.id == case_id).with_for_update(of=Case)
                           .options(undefer(Case.state), joinedload(Case.definition))
                           .execution_options(populate_existing=True)).scalar_one()


def _task_for_update(session: Session, user: User, task_id: int) -> HumanTask:
    """Lock the task's case (loaded with its state), then read the task so its status is the committed one."""
    located = session.execute(select(HumanTask.case_id, HumanTask.org_id).where(HumanTask.id == task_id)).first()
    if located is None or located.org_id not in visible_org_ids(session, user):
        raise AccessDenied("任务不存在或您无权访问", {"task_id": str(task_id)})
    case = lock_case(session, located.case_id)
    row = session.get(HumanTask, task_id, populate_existing=True)
    if row is None or row.case is not case:  # also keeps the locked case (weakly held by the session) alive
        raise Conflict("该任务已不存在，请刷新后查看最新状态")
    if row.status != "open":
        raise Conflict("该任务已被处理，请刷新后查看最新状态")
    if row.kind == "review" and row.submitter_id == user.id and row.assignee_id is None:
        raise PermissionDenied("不能审批本人发起的事项")
    if not may_act(session, user, row):
        raise AccessDenied("任务不存在或您无权处理", {"task_id": str(task_id)})
    return row


def _check_decision(row: HumanTask, decision: str, comment: str | None,
                    data: Any) -> tuple[str, str, dict[str, Any]]:
    allowed = allowed_decisions(row)
    comment = (comment or "").strip()
    if decision not in allowed:
        raise InvalidData("处理结果无效", {"decision": "可选：" + "、".join(DECISION_LABELS[d] for d in allowed)})
    if decision in (RETURN, REJECT) and not comment:
        raise InvalidData("请填写审批意见", {"comment": f"选择“{DECISION_LABELS[decision]}”时必须填写审批意见"})
    if len(comment) > MAX_COMMENT or "\x00" in comment:
        raise InvalidData("审批意见无效", {"comment": f"审批意见不能超过 {MAX_COMMENT} 字，且不能含控制字符"})
    if not isinstance(data, dict):
        raise InvalidData("表单数据无效", {"data": "表单数据必须是对象"})
    return decision, comment, data


def allowed_decisions(row: HumanTask) -> list[str]:
    decisions = list(DECISIONS_BY_KIND.get(row.kind, []))
    if RETURN in decisions and not _has_draft_step(row.case):
        decisions.remove(RETURN)
    return decisions


def _has_draft_step(case: Case) -> bool:
    return case.definition.properties.get("startRole") is not None


def _validate(form: dict[str, Any] | None, data: Any, required: bool) -> None:
    if form is None:
        if data:
            raise InvalidData("此步骤没有表单，不接受表单数据", {k: "表单中没有这个字段" for k in data})
        return
    errors = form_lib.validate_data(form, data)
    if errors:
        raise InvalidData("表单填写有误", errors)


def _clean_title(title: str | None) -> str:
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE or "\x00" in title:
        raise InvalidData("标题无效", {"title": f"请填写标题（不超过 {MAX_TITLE} 字）"})
    return title


def load_workflow(case: Case) -> BpmnWorkflow:
    workflow = load_state(case.state, case.serializer_version, *specs_for(case.definition))
    workflow.refresh_timers()
    _run_engine(workflow)
    return workflow


def _run_engine(workflow: BpmnWorkflow) -> None:
    try:
        workflow.do_engine_steps()
    except (SpiffWorkflowException, RecursionError, ArithmeticError, ExpressionError, SandboxViolation) as exc:
        raise step_failure(exc) from None
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


def _apply(session: Session, case: Case, workflow: BpmnWorkflow, row: HumanTask, user: User, decision: str,
           comment: str, data: dict[str, Any], return_to: str | None = None) -> None:
    spiff_task = _ready_spiff_task(workflow, row)
    before = {k: case.data.get(k) for k in data}
    extra: dict[str, Any] = {}
    if decision in (APPROVE, SUBMIT):
        _run_task(workflow, spiff_task, {**data, **multisign.vote_data(spiff_task, True)})
    elif decision == REJECT and multisign.is_vote(spiff_task):
        _run_task(workflow, spiff_task, multisign.vote_data(spiff_task, False))
    elif decision == REJECT:
        workflow.cancel()
        case.status = "rejected"
    else:
        target = return_target(workflow, spiff_task, return_to)
        extra = {"return_to": step_info(target).bpmn_id, "return_to_name": step_info(target).name}
        workflow.reset_from_task_id(target.id)
        _run_engine(workflow)
    principal = None if can_act_on(user, row) else proxy_principal(session, user, row)
    if principal is not None:
        extra.update(on_behalf_of_id=principal.id, on_behalf_of_name=principal.name)
    now = utcnow()
    row.status, row.decision, row.comment, row.completed_by, row.completed_at = "completed", decision, comment, user.id, now
    row.submitted = data
    audit.record(session, "task.completed", actor=user, org_id=case.org_id, case_id=case.id, task_id=row.id,
                 step=row.bpmn_id, step_name=row.name, role=row.role, decision=decision, comment=comment,
                 changed={k: {"before": before[k], "after": v} for k, v in data.items() if before[k] != v}, **extra)
    sync_human_tasks(session, case, workflow)
    if data:
        case.data = {**case.data, **data}


def _ready_spiff_task(workflow: BpmnWorkflow, row: HumanTask) -> Task:
    try:
        task = workflow.get_task_from_id(uuid.UUID(row.spiff_task_id))
    except (SpiffWorkflowException, ValueError):
        task = None
    if task is None or task.state != TaskState.READY:
        raise Conflict("该任务已不在待办状态（可能已超时或已被处理）")
    return task


def _run_task(workflow: BpmnWorkflow, task: Task, data: dict[str, Any]) -> None:
    try:
        task.set_data(**data)
        task.run()
    except (SpiffWorkflowException, RecursionError, ArithmeticError) as exc:
        raise step_failure(exc) from None
    _run_engine(workflow)


def return_targets(workflow: BpmnWorkflow, current: Task) -> list[Task]:
    """The completed human steps on the path that led to ``current`` (earliest first), latest run of each."""
    chain, node = [], current.parent
    while node is not None:
        if (node.task_spec.manual or multisign.is_mi_parent(node)) and node.state == TaskState.COMPLETED:
            chain.append(node)
        node = node.parent
    latest: dict[str, Task] = {}
    for task in chain:
        latest.setdefault(task.task_spec.bpmn_id, task)
    return sorted(latest.values(), key=lambda t: t.last_state_change)


def return_target(workflow: BpmnWorkflow, current: Task, step: str | None) -> Task:
    """The step a 退回 goes back to: ``step`` when it ran earlier on this path, else the drafting step."""
    targets = return_targets(workflow, current)
    if step:
        found = [t for t in targets if t.task_spec.bpmn_id == step]
        if not found:
            raise InvalidData("退回的目标步骤无效", {"return_to": "只能退回到本事项此前已办理的步骤"})
        return found[-1]
    drafts = [t for t in targets if step_info(t).kind == "draft"]
    if not drafts:
        raise Conflict("此流程没有起草步骤，不能退回修改")
    return drafts[-1]


def _save(session: Session, case: Case, workflow: BpmnWorkflow) -> None:
    case.state = dump_state(workflow)
    case.serializer_version = SERIALIZER_VERSION
    case.updated_at = utcnow()
    if case.status == "running" and workflow.is_completed():
        case.status, case.finished_at = "completed", case.updated_at
        audit.record(session, "case.completed", org_id=case.org_id, case_id=case.id, number=case.number)
    elif case.status == "rejected" and case.finished_at is None:
        case.finished_at = case.updated_at
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("该事项刚被他人处理，请刷新后重试") from None


def _next_case_number(session: Session, org: Organisation, code: str) -> str:
    year = datetime.now().year
    key = f"case:{org.code}:{year}:{code}"
    return f"{org.code}-{year}-{code}-{counters.increment(session, key):04d}"


from . import task_ops  # noqa: E402,F401  (registers the 委派 and 加签 interceptors)

"""Named operations on cases: file one, and decide a task (同意 / 退回修改 / 不同意 / 提交).

Each goes through the workflow cycle (``engine.runtime.CaseRun``): lock, load, run, project, audit, save — in the
caller's transaction (flush only). Who may decide a step is checked by the authorities registered at start-up.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

import forms as form_lib
from engine.cases import counters, form_rules
from engine.db import utcnow
from engine.errors import AccessDenied, Conflict, InvalidData, PermissionDenied
from engine.identity.access import (
    can_act_on,
    holds,
    may_act,
    proxy_principal,
    visible_org_ids,
)
from engine.identity.models import Organisation, User
from engine.library import catalogue, meetings, multisign
from engine.library import hooks as library
from engine.roles import role_label, task_scope_org_id
from engine.runtime.cycle import CaseRun, load_workflow, lock_case_of_task
from engine.runtime.deploy import latest_definition, specs_for
from engine.runtime.extensions import installed
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import StepInfo, ready_human_tasks, step_info
from engine.runtime.sandbox import SAFE_SCRIPT_ENGINE
from engine.runtime.serialization import SERIALIZER_VERSION
from engine.vocabulary import (
    DECISIONS_BY_KIND,
    AuditAction,
    CaseStatus,
    Decision,
    TaskKind,
    TaskStatus,
)

APPROVE, RETURN, REJECT, SUBMIT = Decision.APPROVE, Decision.RETURN, Decision.REJECT, Decision.SUBMIT
MAX_COMMENT = 2000
MAX_TITLE = 200
SYSTEM_TIMEOUT_ACTOR = "系统（期满自动）"


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
    case = Case(number="", definition_id=definition.id, process_key=definition.key, org_id=org.id, title="",
                status=CaseStatus.RUNNING, data={}, state="{}", serializer_version=SERIALIZER_VERSION,
                created_by=user.id, definition=definition, org=org, creator=user)
    run = CaseRun.begin(session, case, workflow)
    draft = _ready_draft(workflow)
    _check_can_start(user, org, draft)
    case.title = _clean_title(title)
    form = definition.forms.get(draft.form_key) if draft and draft.form_key else None
    _validate(form, data, required=True)
    form_rules.check_references(session, form, org.id, data)
    data = {**data, **library.before_submit(session, definition, org, data)}
    case.number = _next_case_number(session, org, definition.properties.get("caseCode", "SX"))
    session.add(case)
    session.flush()
    with run:
        run.record(AuditAction.CASE_STARTED, actor=user, number=case.number, process=definition.key,
                   version=definition.version, title=case.title)
        rows = run.project()
        draft_row = next((r for r in rows if r.kind == TaskKind.DRAFT), None)
        if draft_row is not None:
            _decide(run, draft_row, user, SUBMIT, "", data)
    return case


def _check_can_start(user: User, org: Organisation, draft: StepInfo | None) -> None:
    if draft is not None and not holds(user, draft.role, task_scope_org_id(org, draft.role)):
        raise PermissionDenied(f"只有本组织的{role_label(draft.role)}可以发起此流程")
    if draft is None and not any(m.org_id == org.id for m in user.memberships):
        raise PermissionDenied("您在该组织中没有角色，不能发起此流程")


def _ready_draft(workflow: BpmnWorkflow) -> StepInfo | None:
    for task in ready_human_tasks(workflow):
        info = step_info(task)
        if info.kind == TaskKind.DRAFT:
            return info
    return None


def complete_task(session: Session, user: User, task_id: int, decision: str, comment: str | None,
                  data: dict[str, Any] | None, return_to: str | None = None) -> Case:
    """Complete an open task with 同意 / 退回修改 / 不同意 (or 提交 on a drafting step).

    ``return_to`` names the earlier completed step a 退回 goes back to (default: the drafting step)."""
    row = task_for_update(session, user, task_id, decision)
    case = row.case
    decision, comment, data = _check_decision(row, decision, comment, data or {})
    form = case.definition.forms.get(row.form_key) if row.form_key else None
    if row.kind == TaskKind.MEETING:
        _validate(form, data, required=True)
        data = meetings.resolve(case.definition.properties, row.bpmn_id, decision, data)
    elif decision in (APPROVE, SUBMIT):
        form_rules.check_answers(form, decision, data, case.data)
        _validate(form, data, required=True)
        form_rules.check_references(session, form, case.org_id, data)
        if decision == SUBMIT and row.kind == TaskKind.DRAFT:
            data = {**data, **library.before_submit(session, case.definition, case.org, data, case.id)}
    else:
        data = {}
    if any(intercept(session, row, user, decision, comment, data) for intercept in installed().interceptors):
        session.flush()
        return case
    with CaseRun(session, case, load_workflow(case)) as run:
        _decide(run, row, user, decision, comment, data, return_to)
    return case


def complete_by_timeout(session: Session, row: HumanTask, data: dict[str, Any], comment: str,
                        at: datetime) -> None:
    """A 报备 or 公示 period ran out with no objection: the system completes the step as 同意 at ``at``."""
    with CaseRun.lock(session, row.case_id) as run:
        _decide(run, row, None, APPROVE, comment, data, at=at)


def task_for_update(session: Session, user: User, task_id: int, decision: str = "") -> HumanTask:
    """Lock the task's case, then read the task so its status is the committed one, and check that ``user``
    may take ``decision`` on it now ("" when acting on the task without deciding it) — every registered authority."""
    case = lock_case_of_task(session, task_id)
    row = session.get(HumanTask, task_id, populate_existing=True) if case is not None else None
    if row is None or row.org_id not in visible_org_ids(session, user):
        raise AccessDenied("任务不存在或您无权访问", {"task_id": str(task_id)})
    if row.case is not case:  # moved to another case meanwhile; also keeps the locked case (weakly held) alive
        raise Conflict("该任务已不存在，请刷新后查看最新状态")
    if row.status != TaskStatus.OPEN:
        raise Conflict("该任务已被处理，请刷新后查看最新状态")
    for authority in installed().authorities:
        authority(session, row, user, decision)
    return row


def basic_authority(session: Session, row: HumanTask, user: User, decision: str) -> None:
    """Nobody reviews their own filing; only a holder of the step (or their proxy, or its assignee) decides."""
    if row.kind == TaskKind.REVIEW and row.submitter_id == user.id and row.assignee_id is None:
        raise PermissionDenied("不能审批本人发起的事项")
    if not may_act(session, user, row):
        raise AccessDenied("任务不存在或您无权处理", {"task_id": str(row.id)})


def _check_decision(row: HumanTask, decision: str, comment: str | None,
                    data: Any) -> tuple[Decision, str, dict[str, Any]]:
    allowed = allowed_decisions(row)
    comment = (comment or "").strip()
    if decision not in allowed:
        raise InvalidData("处理结果无效", {"decision": "可选：" + "、".join(d.label for d in allowed)})
    chosen = Decision(decision)
    if chosen in (RETURN, REJECT) and not comment:
        raise InvalidData("请填写审批意见", {"comment": f"选择“{chosen.label}”时必须填写审批意见"})
    if len(comment) > MAX_COMMENT or "\x00" in comment:
        raise InvalidData("审批意见无效", {"comment": f"审批意见不能超过 {MAX_COMMENT} 字，且不能含控制字符"})
    if not isinstance(data, dict):
        raise InvalidData("表单数据无效", {"data": "表单数据必须是对象"})
    return chosen, comment, data


def allowed_decisions(row: HumanTask) -> list[Decision]:
    decisions = list(DECISIONS_BY_KIND.get(TaskKind(row.kind), ()))
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


def _decide(run: CaseRun, row: HumanTask, user: User | None, decision: Decision, comment: str,
            data: dict[str, Any], return_to: str | None = None, at: datetime | None = None) -> None:
    """Move the workflow by one decision on ``row`` and record it; the cycle projects and saves."""
    case, session = run.case, run.session
    spiff_task = run.ready_task(row)
    before = {k: case.data.get(k) for k in data}
    extra: dict[str, Any] = {}
    if decision in (APPROVE, SUBMIT):
        run.complete(spiff_task, {**data, **multisign.vote_data(spiff_task, True)})
    elif decision == REJECT and multisign.is_vote(spiff_task):
        run.complete(spiff_task, multisign.vote_data(spiff_task, False))
    elif decision == REJECT:
        run.cancel(CaseStatus.REJECTED)
    else:
        target = return_target(run.workflow, spiff_task, return_to)
        extra = {"return_to": step_info(target).bpmn_id, "return_to_name": step_info(target).name}
        run.reset_to(target)
    if user is not None and not can_act_on(user, row):
        principal = proxy_principal(session, user, row)
        if principal is not None:
            extra.update(on_behalf_of_id=principal.id, on_behalf_of_name=principal.name)
    who: dict[str, Any] = {"actor": user} if user is not None else {"actor_name": SYSTEM_TIMEOUT_ACTOR}
    if user is None:
        extra["automatic"] = True
    row.status, row.decision, row.comment = TaskStatus.COMPLETED, decision, comment
    row.completed_by, row.completed_at = (user.id if user else None), at or utcnow()
    row.submitted = data
    run.record(AuditAction.TASK_COMPLETED, **who, task_id=row.id, step=row.bpmn_id, step_name=row.name,
               role=row.role, decision=decision, comment=comment,
               changed={k: {"before": before[k], "after": v} for k, v in data.items() if before[k] != v}, **extra)
    run.project()
    if data:
        case.data = {**case.data, **data}


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
    drafts = [t for t in targets if step_info(t).kind == TaskKind.DRAFT]
    if not drafts:
        raise Conflict("此流程没有起草步骤，不能退回修改")
    return drafts[-1]


def _next_case_number(session: Session, org: Organisation, code: str) -> str:
    year = datetime.now().year
    key = f"case:{org.code}:{year}:{code}"
    return f"{org.code}-{year}-{code}-{counters.increment(session, key):04d}"

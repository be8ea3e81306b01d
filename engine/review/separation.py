"""Separation of duties: one person decides at most one review level of a case.

Whoever decided one review step of a case (in their own right, as a proxy, a transferee or an added signer who
holds the step's role) may not decide another review step of the same case. Deciding the same step again after a
退回 is fine. A diagram allows one person on two steps on purpose with the user-task property
``sameDeciderAllowed``: ``true`` (any decider of the case) or a comma list of step ids whose decider may also
decide this one (e.g. the 秘书长 who approved the filing confirms the summary). Meeting steps (recorded by a
clerk) and 登记/报告 steps are not review levels.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from engine.errors import PermissionDenied
from engine.identity.access import holds
from engine.identity.models import User
from engine.review.models import TaskSigner
from engine.runtime.bpmn_checks import Problem
from engine.runtime.deploy import specs_for
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import step_properties
from engine.vocabulary import Decision, SignerStatus, TaskKind, TaskStatus

PROPERTY = "sameDeciderAllowed"
RULE = "职责分离：同一事项的各审核环节须由不同的人办理"
THREE_REVIEWS = "同一稿件的各审核环节不得由同一人担任（三审须三人）"


_USER = bindparam("user_id")
# Built once: building and hashing this statement costs more than running it, on every decision.
DECIDED_ROWS = (
    select(HumanTask.bpmn_id, HumanTask.name, HumanTask.role, HumanTask.scope_org_id, HumanTask.status,
           HumanTask.completed_by, TaskSigner.signer_id, TaskSigner.added_by, TaskSigner.position,
           TaskSigner.status.label("signer_status"))
    .outerjoin(TaskSigner, TaskSigner.task_id == HumanTask.id)
    .where(HumanTask.case_id == bindparam("case_id"), HumanTask.kind == TaskKind.REVIEW,
           or_(and_(HumanTask.status == TaskStatus.COMPLETED, HumanTask.completed_by == _USER),
               and_(TaskSigner.signer_id == _USER, TaskSigner.status == SignerStatus.DONE),
               and_(TaskSigner.added_by == _USER, TaskSigner.position == "after",
                    TaskSigner.status.in_((SignerStatus.ACTIVE, SignerStatus.DONE))))))


def decided_steps(session: Session, case_id: int, user: User) -> dict[str, str]:
    """The review steps of the case ``user`` decided (bpmn id → step name): completed by them, signed by them as
    an added signer holding the step's role, or approved by them before the after-signer they added."""
    rows = session.execute(DECIDED_ROWS, {"case_id": case_id, "user_id": user.id}).all()
    found = {r.bpmn_id: r.name for r in rows if r.status == TaskStatus.COMPLETED and r.completed_by == user.id}
    for r in rows:
        if r.signer_id == user.id and r.signer_status == SignerStatus.DONE and holds(user, r.role, r.scope_org_id):
            found.setdefault(r.bpmn_id, r.name)
    for r in rows:
        if r.added_by == user.id and r.position == "after" and r.signer_status in (SignerStatus.ACTIVE,
                                                                                   SignerStatus.DONE):
            found.setdefault(r.bpmn_id, r.name)
    return found


def _allowed(case: Case, step: str) -> set[str] | bool:
    value = str(step_properties(*specs_for(case.definition), step).get(PROPERTY, "")).strip()
    if value.lower() == "true":
        return True
    return {s.strip() for s in value.split(",") if s.strip()}


def may_share(case: Case, step: str, other: str) -> bool:
    """The diagram lets one person decide both ``step`` and ``other`` (either names the other, or says ``true``)."""
    for first, second in ((step, other), (other, step)):
        allowed = _allowed(case, first)
        if allowed is True or (isinstance(allowed, set) and second in allowed):
            return True
    return False


def conflicting_step(session: Session, row: HumanTask, user: User) -> str | None:
    """The name of another review step of the case ``user`` decided that keeps them from deciding ``row``."""
    if row.kind != TaskKind.REVIEW:
        return None
    for step, name in decided_steps(session, row.case_id, user).items():
        if step != row.bpmn_id and not may_share(row.case, row.bpmn_id, step):
            return name
    return None


def refusal(row: HumanTask, earlier: str, who: str = "您") -> PermissionDenied:
    props = step_properties(*specs_for(row.case.definition), row.bpmn_id)
    rule = THREE_REVIEWS if props.get("distinctFrom") else RULE
    return PermissionDenied(f"{rule}：{who}已办理本事项的“{earlier}”，不能再办理“{row.name}”",
                            {"user": f"{who}已办理“{earlier}”（一人只办理一个审核环节）"})


def separation_authority(session: Session, row: HumanTask, user: User, decision: str) -> None:
    """Authority: refuse a decision on a review step by someone who decided another review step of the case.
    Acting on a task without deciding it (转办, 委派, 加签 by its holder) is not refused here."""
    if decision not in (Decision.APPROVE, Decision.RETURN, Decision.REJECT):
        return
    earlier = conflicting_step(session, row, user)
    if earlier is not None:
        raise refusal(row, earlier)


def deploy_check(task_specs: Iterable[Any], problems: list[Any]) -> dict[str, Any]:
    """Deploy time: ``sameDeciderAllowed`` is ``true`` or names steps of the same process."""
    specs = [t for t in task_specs if getattr(t, "manual", False)]
    known = {t.bpmn_id for t in specs}
    for spec in specs:
        value = str((getattr(spec, "extensions", None) or {}).get("properties", {}).get(PROPERTY, "")).strip()
        if not value or value.lower() == "true":
            continue
        unknown = [s.strip() for s in value.split(",") if s.strip() and s.strip() not in known]
        if unknown:
            problems.append(Problem(f"{PROPERTY} 应为 true 或本流程的步骤 id，没有这些步骤：{'、'.join(unknown)}",
                                    spec.bpmn_id))
    return {}

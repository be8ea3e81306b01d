"""Task-level reviewer operations: 转办, 委派 (and its reply), 加签 before or after the step, 减签.

They move who holds an open task (its ``assignee_id``); the workflow itself moves only when the person
who finally holds the step decides. Each operation appends its audit event in the caller's transaction.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases import operations as cases
from engine.cases.notify import notify, settle_task_notifications
from engine.db import utcnow
from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.identity.access import (
    can_act_on,
    holds,
    political_task,
    proxy_principal,
    visible_org_ids,
)
from engine.identity.models import User
from engine.review import separation
from engine.review.models import TaskDelegation, TaskSigner
from engine.roles import OVERSIGHT_ROLES, REVIEWER_ROLES, role_label
from engine.runtime.cycle import lock_case
from engine.runtime.models import HumanTask
from engine.vocabulary import AuditAction, Decision

MAX_NOTE = 500
BEFORE, AFTER = "before", "after"


def _note(text: str | None, required: bool, what: str) -> str:
    text = (text or "").strip()
    if required and not text:
        raise InvalidData(f"请填写{what}", {"comment": f"{what}为必填"})
    if len(text) > MAX_NOTE or "\x00" in text:
        raise InvalidData(f"{what}无效", {"comment": f"{what}不能超过 {MAX_NOTE} 字"})
    return text


def _held_task(session: Session, user: User, task_id: int) -> tuple[HumanTask, dict[str, Any]]:
    """Lock the case and return the open review task ``user`` may act on now, with whom they act for."""
    row = cases.task_for_update(session, user, task_id)
    if row.kind != "review":
        raise Conflict("起草步骤不能转办、委派或加签")
    principal = None if can_act_on(user, row) else proxy_principal(session, user, row)
    return row, ({"on_behalf_of_id": principal.id, "on_behalf_of_name": principal.name} if principal else {})


def _person(session: Session, row: HumanTask, username: str, user: User) -> User:
    target = session.scalar(select(User).where(User.username == (username or "").strip()))
    if target is None or not target.active or row.org_id not in visible_org_ids(session, target):
        raise InvalidData("人员无效", {"user": "该用户不存在或无权查看此事项"})
    if target.id in (user.id, row.submitter_id):
        raise InvalidData("人员无效", {"user": "不能选择自己或本事项的发起人"})
    return target


def _check_separation(session: Session, row: HumanTask, target: User) -> None:
    earlier = separation.conflicting_step(session, row, target)
    if earlier is not None:
        raise separation.refusal(row, earlier, target.name)


def signer_candidate(session: Session, row: HumanTask, target: User) -> str | None:
    """Why ``target`` may not be added as a signer of ``row`` (None when they may): candidates are active
    members of the case's society holding a reviewer role (or holders of the step's role); on a political step
    only holders of its role (the 党组织书记); admins and auditors never."""
    orgs = {row.org_id, row.scope_org_id, row.case.org.parent_id}
    if not target.active or any(m.role in OVERSIGHT_ROLES and m.org_id in orgs for m in target.memberships):
        return "管理员、审计员不能加签"
    if holds(target, row.role, row.scope_org_id):
        return None
    if political_task(row):
        return f"政治把关步骤只能加签本学会的{role_label(row.role)}"
    if not any(m.org_id == row.org_id and m.role in REVIEWER_ROLES for m in target.memberships):
        return "只能加签本学会担任审核职务的成员（秘书长、党组织书记、理事长、财务、外事审核）"
    return None


def _check_signer_candidate(session: Session, row: HumanTask, target: User) -> None:
    reason = signer_candidate(session, row, target)
    if reason is not None:
        raise InvalidData("加签人员无效", {"user": reason})
    _check_separation(session, row, target)


def open_delegation(session: Session, row: HumanTask) -> TaskDelegation | None:
    return session.scalar(select(TaskDelegation).where(
        TaskDelegation.task_id == row.id, TaskDelegation.kind == "delegate", TaskDelegation.resolved_at.is_(None)))


def latest_transfer(session: Session, row: HumanTask) -> TaskDelegation | None:
    """The last 转办 of ``row``: who handed it on, to whom, when and with what note."""
    return session.scalar(select(TaskDelegation).where(TaskDelegation.task_id == row.id,
                                                       TaskDelegation.kind == "transfer")
                          .order_by(TaskDelegation.id.desc()).limit(1))


def active_signer(session: Session, row: HumanTask) -> TaskSigner | None:
    return session.scalar(select(TaskSigner).where(TaskSigner.task_id == row.id, TaskSigner.status == "active"))


def _check_free(session: Session, row: HumanTask) -> None:
    if open_delegation(session, row) is not None:
        raise Conflict("此任务已委派，待被委派人回复意见后才能继续操作")
    if active_signer(session, row) is not None:
        raise Conflict("此任务正由加签人处理，请待其处理后再操作")


def _record(session: Session, action: str, user: User, row: HumanTask, target: User | None, note: str,
            **extra: Any) -> None:
    audit.record(session, action, actor=user, org_id=row.org_id, case_id=row.case_id, task_id=row.id,
                 step=row.bpmn_id, step_name=row.name, role=row.role, comment=note,
                 to_id=target.id if target else None, to_name=target.name if target else None, **extra)


def transfer_task(session: Session, user: User, task_id: int, username: str, note: str | None = None) -> HumanTask:
    """转办: hand the task to another holder of its role, who then decides in the user's place."""
    row, acting_for = _held_task(session, user, task_id)
    _check_free(session, row)
    target = _person(session, row, username, user)
    if not holds(target, row.role, row.scope_org_id):
        raise InvalidData("人员无效", {"user": f"只能转办给本步骤的{role_label(row.role)}"})
    _check_separation(session, row, target)
    text = _note(note, False, "转办说明")
    session.add(TaskDelegation(task_id=row.id, kind="transfer", owner_id=user.id, delegate_id=target.id,
                               reason=text or None, resolved_at=utcnow()))
    row.assignee_id = target.id
    _record(session, "task.transferred", user, row, target, text, **acting_for)
    notify(session, target.id, "transferred", f"{user.name}将“{row.name}”转办给您：{row.case.title}", case=row.case)
    session.flush()
    settle_task_notifications(session, row.case)
    return row


def delegate_task(session: Session, user: User, task_id: int, username: str, note: str | None = None) -> HumanTask:
    """委派: ask someone for an opinion; the task comes back to the user, who still decides."""
    row, acting_for = _held_task(session, user, task_id)
    _check_free(session, row)
    target = _person(session, row, username, user)
    text = _note(note, False, "委派说明")
    session.add(TaskDelegation(task_id=row.id, kind="delegate", owner_id=user.id, delegate_id=target.id,
                               reason=text or None))
    row.assignee_id = target.id
    _record(session, "task.delegated", user, row, target, text, **acting_for)
    notify(session, target.id, "delegated", f"{user.name}委派您对“{row.name}”提出意见：{row.case.title}",
           case=row.case)
    session.flush()
    return row


def resolve_delegation(session: Session, user: User, task_id: int, opinion: str | None) -> HumanTask:
    """The delegate's reply: their opinion is recorded and the task returns to its owner."""
    row = cases.task_for_update(session, user, task_id)
    delegation = open_delegation(session, row)
    if delegation is None or delegation.delegate_id != user.id:
        raise Conflict("此任务没有委派给您")
    text = _note(opinion, True, "意见")
    delegation.resolved_at, delegation.opinion = utcnow(), text
    row.assignee_id = delegation.owner_id
    _record(session, "task.delegate_resolved", user, row, delegation.owner, text)
    notify(session, delegation.owner_id, "delegate_resolved", f"{user.name}已回复委派意见：{row.case.title}",
           case=row.case)
    session.flush()
    return row


def add_signer(session: Session, user: User, task_id: int, username: str, position: str,
               note: str | None = None) -> TaskSigner:
    """加签: ``before`` — the signer acts first and the task comes back; ``after`` — once the user approves,
    the signer must approve too before the case moves on."""
    if position not in (BEFORE, AFTER):
        raise InvalidData("加签方式无效", {"position": "可选：before（前加签）、after（后加签）"})
    row, acting_for = _held_task(session, user, task_id)
    _check_free(session, row)
    target = _person(session, row, username, user)
    _check_signer_candidate(session, row, target)
    status = "active" if position == BEFORE else "pending"
    signer = TaskSigner(task_id=row.id, signer_id=target.id, position=position, added_by=user.id, status=status,
                        note=_note(note, False, "加签说明") or None)
    session.add(signer)
    if position == BEFORE:
        row.assignee_id = target.id
        notify(session, target.id, "signer", f"{user.name}加签，请您先处理“{row.name}”：{row.case.title}",
               case=row.case)
    _record(session, "task.signer_added", user, row, target, signer.note or "", position=position, **acting_for)
    session.flush()
    return signer


def remove_signer(session: Session, user: User, signer_id: int) -> TaskSigner:
    """减签: withdraw an added signer who has not acted yet (only whoever added them may)."""
    signer = session.get(TaskSigner, signer_id)
    if signer is None or signer.added_by != user.id:
        raise PermissionDenied("只有添加该加签人的人可以减签")
    row = session.get(HumanTask, signer.task_id)
    assert row is not None
    lock_case(session, row.case_id)
    session.refresh(row)
    session.refresh(signer)
    if signer.status not in ("active", "pending") or row.status != "open":
        raise Conflict("加签人已处理或任务已结束，不能减签")
    if signer.status == "active":
        row.assignee_id = signer.added_by
    signer.status, signer.acted_at = "removed", utcnow()
    _record(session, "task.signer_removed", user, row, signer.signer, "", position=signer.position)
    session.flush()
    return signer


def pending_signers(session: Session, row: HumanTask) -> list[TaskSigner]:
    return list(session.scalars(select(TaskSigner).where(TaskSigner.task_id == row.id,
                                                         TaskSigner.status.in_(("active", "pending")))
                                .order_by(TaskSigner.id)))


DELEGATED_OR_SIGNED = select(
    exists().where(TaskDelegation.task_id == bindparam("task_id"), TaskDelegation.kind == "delegate",
                   TaskDelegation.resolved_at.is_(None)),
    exists().where(TaskSigner.task_id == bindparam("task_id"), TaskSigner.status.in_(("active", "pending"))))


def _delegated_or_signed(session: Session, row: HumanTask) -> tuple[bool, bool]:
    """In one round trip: whether ``row`` has an open 委派, and whether it has active or pending added signers."""
    found = session.execute(DELEGATED_OR_SIGNED, {"task_id": row.id}).one()
    return bool(found[0]), bool(found[1])


def signer_interceptor(session: Session, row: HumanTask, user: User, decision: str, comment: str,
               data: dict[str, Any]) -> bool:
    """委派 and 加签 inside complete_task: a delegate only replies; a before-signer's 同意 hands the task back;
    an owner's 同意 with an after-signer pending passes the task on instead of moving the case."""
    delegated, signed = _delegated_or_signed(session, row)
    if delegated:
        raise PermissionDenied("委派的任务由委派人作出决定，您只能回复意见")
    signers = pending_signers(session, row) if signed else []
    active = next((s for s in signers if s.status == "active"), None)
    if active is not None and opinion_only(session, row, user):
        return _opinion(session, row, user, active, decision, comment)
    if active is not None and active.position == BEFORE and decision == cases.APPROVE:
        return _sign(session, row, user, active, comment, data, active.added_by)
    if active is not None and decision == cases.APPROVE:
        active.status, active.acted_at = "done", utcnow()
    waiting = next((s for s in signers if s.status == "pending"), None)
    if waiting is not None and decision == cases.APPROVE:
        waiting.status = "active"
        return _sign(session, row, user, None, comment, data, waiting.signer_id)
    for signer in signers:
        if signer.status in ("active", "pending"):
            signer.status = "closed"
    return False


def _sign(session: Session, row: HumanTask, user: User, signer: TaskSigner | None, comment: str,
          data: dict[str, Any], next_holder: int) -> bool:
    """Record an approval that does not move the case yet, and hand the task to ``next_holder``."""
    if signer is not None:
        signer.status, signer.acted_at = "done", utcnow()
    row.assignee_id = next_holder
    holder = session.get(User, next_holder)
    audit.record(session, "task.signed", actor=user, org_id=row.org_id, case_id=row.case_id, task_id=row.id,
                 step=row.bpmn_id, step_name=row.name, role=row.role, decision=cases.APPROVE, comment=comment,
                 data=data, to_id=next_holder, to_name=holder.name if holder else None)
    notify(session, next_holder, "signer", f"{user.name}已签署“{row.name}”，请您处理：{row.case.title}", case=row.case)
    return True



def opinion_only(session: Session, row: HumanTask, user: User) -> bool:
    """``user`` is the added signer acting on ``row`` now without holding its role: they give an opinion only."""
    active = active_signer(session, row)
    return active is not None and active.signer_id == user.id and not holds(user, row.role, row.scope_org_id)


def decisions_for(session: Session, row: HumanTask, user: User, decisions: list[Any]) -> list[Any]:
    """The decisions ``user`` may take on ``row`` now: an added signer's opinion is 同意 or 不同意 only."""
    if opinion_only(session, row, user):
        return [d for d in decisions if d in (Decision.APPROVE, Decision.REJECT)]
    return decisions


def _opinion(session: Session, row: HumanTask, user: User, signer: TaskSigner, decision: str, comment: str) -> bool:
    """An added signer who does not hold the step's role gives an opinion (同意 or 不同意 with a comment): it goes
    on record and the task goes back to whoever added them, who still decides the step."""
    if decision not in (Decision.APPROVE, Decision.REJECT):
        raise InvalidData("加签意见无效", {"decision": "加签人只能提出“同意”或“不同意”的意见，由本步骤的办理人决定"})
    signer.status, signer.acted_at = "done", utcnow()
    row.assignee_id = signer.added_by
    holder = session.get(User, signer.added_by)
    audit.record(session, AuditAction.TASK_SIGNER_OPINION, actor=user, org_id=row.org_id, case_id=row.case_id,
                 task_id=row.id, step=row.bpmn_id, step_name=row.name, role=row.role, decision=decision,
                 comment=comment,
                 to_id=signer.added_by, to_name=holder.name if holder else None)
    notify(session, signer.added_by, "signer", f"{user.name}已提出加签意见（{Decision(decision).label}），"
           f"请您决定“{row.name}”：{row.case.title}", case=row.case)
    return True

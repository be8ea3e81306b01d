"""Case-level reviewer operations: 退回 targets, 撤回 and 撤销 by the submitter, 抄送 and 已阅, 催办.

Each operation checks permissions, locks the case when it changes the workflow, and appends its audit
event in the caller's transaction (flush only).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases import operations as cases
from engine.cases.models import CaseCopy
from engine.cases.queries import get_case, get_task
from engine.db import utcnow
from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.identity.access import holds, may_act, visible_org_ids
from engine.identity.models import User
from engine.journal import AuditEvent
from engine.runtime.cycle import CaseRun, load_workflow, lock_case, read_workflow
from engine.runtime.deploy import specs_for
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import is_political, step_info
from engine.vocabulary import AuditAction, CaseStatus, TaskStatus

MAX_REASON = 500
MAX_COPIES = 50
URGE_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class ReturnOption:
    step: str
    name: str
    political: bool
    draft: bool


def return_options(session: Session, user: User, task_id: int) -> list[ReturnOption]:
    """The earlier steps a 退回 of this open task may go back to, earliest first (the drafting step first)."""
    row = get_task(session, user, task_id)
    if row.status != "open" or row.kind != "review" or not may_act(session, user, row):
        return []
    workflow = read_workflow(row.case)
    current = next((t for t in workflow.get_tasks(manual=True) if str(t.id) == row.spiff_task_id), None)
    if current is None:
        return []
    return [ReturnOption(info.bpmn_id, info.name, info.political, info.kind == "draft")
            for info in (step_info(t) for t in cases.return_targets(workflow, current))]


def _reason(text: str | None, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidData(f"请填写{what}", {"reason": f"{what}为必填"})
    if len(text) > MAX_REASON or "\x00" in text:
        raise InvalidData(f"{what}无效", {"reason": f"{what}不能超过 {MAX_REASON} 字，且不能含控制字符"})
    return text


def _running_case_of_submitter(session: Session, user: User, case_id: int, action: str) -> Case:
    case = get_case(session, user, case_id)
    if case.created_by != user.id:
        raise PermissionDenied(f"只有发起人可以{action}")
    case = lock_case(session, case.id)
    if case.status != "running":
        raise Conflict(f"事项已结束，不能{action}")
    return case


def _tasks(session: Session, case: Case) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case.id)
                                .order_by(HumanTask.id).execution_options(populate_existing=True)))


def can_recall(tasks: list[HumanTask]) -> bool:
    """撤回 is possible while the case waits at a review and nobody has acted since the last submission."""
    drafts = [t for t in tasks if t.kind == "draft" and t.status == "completed"]
    if not drafts or any(t.kind == "draft" and t.status == "open" for t in tasks):
        return False
    last = drafts[-1].id
    return not any(t.id > last and t.status == "completed" for t in tasks)


def recall_case(session: Session, user: User, case_id: int, reason: str | None = None) -> Case:
    """撤回: the submitter takes the case back to the drafting step before any reviewer has acted."""
    case = _running_case_of_submitter(session, user, case_id, "撤回")
    if not can_recall(_tasks(session, case)):
        raise Conflict("审核人已处理过此事项，不能撤回；如需终止，请撤销")
    waiting = next(t for t in _tasks(session, case) if t.status == TaskStatus.OPEN)
    with CaseRun(session, case, load_workflow(case)) as run:
        run.reset_to(cases.return_target(run.workflow, run.ready_task(waiting), None))
        run.record(AuditAction.CASE_RECALLED, actor=user, number=case.number,
                   comment=(reason or "").strip()[:MAX_REASON])
    return case


def withdraw_case(session: Session, user: User, case_id: int, reason: str | None) -> Case:
    """撤销: the submitter ends the whole case (status withdrawn) with a reason."""
    reason_text = _reason(reason, "撤销理由")
    case = _running_case_of_submitter(session, user, case_id, "撤销")
    with CaseRun(session, case, load_workflow(case)) as run:
        run.cancel(CaseStatus.WITHDRAWN)
        case.finished_at = utcnow()
        run.record(AuditAction.CASE_WITHDRAWN, actor=user, number=case.number, comment=reason_text)
    return case


def copy_case(session: Session, user: User, case_id: int, usernames: list[str],
              note: str | None = None) -> list[CaseCopy]:
    """抄送: copy a case to people who may see it; they find it under 抄送我的. Copying twice is harmless."""
    case = get_case(session, user, case_id)
    if not usernames or len(usernames) > MAX_COPIES:
        raise InvalidData("请选择抄送对象", {"users": f"请选择 1 到 {MAX_COPIES} 位抄送对象"})
    recipients = _copy_recipients(session, case, usernames)
    existing = set(session.scalars(select(CaseCopy.user_id).where(CaseCopy.case_id == case.id)))
    text = (note or "").strip()[:MAX_REASON] or None
    created = [CaseCopy(case_id=case.id, user_id=r.id, copied_by=user.id, note=text)
               for r in recipients if r.id not in existing]
    session.add_all(created)
    session.flush()
    audit.record(session, "case.copied", actor=user, org_id=case.org_id, case_id=case.id,
                 recipients=[r.name for r in recipients], recipient_ids=[r.id for r in recipients],
                 comment=(note or "").strip()[:MAX_REASON])
    from engine.cases.notify import notify
    for copy in created:
        notify(session, copy.user_id, "copied", f"{user.name}抄送给您：{case.title}", case=case)
    return created


def _copy_recipients(session: Session, case: Case, usernames: list[str]) -> list[User]:
    names = list(dict.fromkeys(u.strip() for u in usernames if isinstance(u, str) and u.strip()))
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    bad = [n for n in names if n not in users or not users[n].active
           or case.org_id not in visible_org_ids(session, users[n])]
    if bad or not names:
        raise InvalidData("抄送对象无效", {"users": "以下用户不存在或无权查看此事项：" + "、".join(bad[:10])})
    return [users[n] for n in names]


def mark_copy_read(session: Session, user: User, case_id: int) -> CaseCopy:
    """已阅: the recipient marks a copied case as read (once; later calls change nothing)."""
    copy = session.scalar(select(CaseCopy).where(CaseCopy.case_id == case_id, CaseCopy.user_id == user.id))
    if copy is None:
        get_case(session, user, case_id)
        raise Conflict("此事项没有抄送给您")
    if copy.read_at is None:
        copy.read_at = utcnow()
        audit.record(session, "case.copy_read", actor=user, org_id=copy.case.org_id, case_id=case_id)
        session.flush()
    return copy


def urge_case(session: Session, user: User, case_id: int, message: str | None = None) -> list[User]:
    """催办: remind the current handlers of a running case, at most once per hour per case."""
    case = get_case(session, user, case_id)
    if case.created_by != user.id and not any(holds(user, "admin", o) for o in (case.org_id, case.org.parent_id)):
        raise PermissionDenied("只有发起人或管理员可以催办")
    case = lock_case(session, case.id)
    if case.status != "running":
        raise Conflict("事项已结束，无需催办")
    last = session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.case_id == case.id,
                                                               AuditEvent.action == "case.urged")
                          .order_by(AuditEvent.id.desc()).limit(1))
    if last is not None and utcnow() - last < URGE_INTERVAL:
        minutes = int((URGE_INTERVAL - (utcnow() - last)).total_seconds() // 60) + 1
        raise Conflict(f"每个事项每小时最多催办一次，请 {minutes} 分钟后再试")
    handlers = current_handlers(session, case)
    text = (message or "").strip()[:MAX_REASON]
    audit.record(session, "case.urged", actor=user, org_id=case.org_id, case_id=case.id,
                 handlers=[h.name for h in handlers], comment=text)
    from engine.cases.notify import notify
    for handler in handlers:
        notify(session, handler.id, "urged", f"{user.name}催办：{case.title}" + (f"（{text}）" if text else ""),
               case=case)
    return handlers


def current_handlers(session: Session, case: Case) -> list[User]:
    """Everyone who may act on one of the case's open tasks right now."""
    from engine.cases.notify import eligible_users
    found: dict[int, User] = {}
    for row in session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open")):
        for person in eligible_users(session, row):
            found[person.id] = person
    return list(found.values())


def political_step(case: Case, bpmn_id: str) -> bool:
    return is_political(*specs_for(case.definition), bpmn_id)


def copy_candidates(session: Session, case: Case) -> list[User]:
    """People a case may be copied to: the active members of its society and of the supervising 科协."""
    from engine.identity.models import Membership
    org_ids = [case.org_id] + ([case.org.parent_id] if case.org.parent_id else [])
    users = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                            .where(Membership.org_id.in_(org_ids), User.active.is_(True)).distinct())
    return sorted(users, key=lambda u: u.username)


@dataclass(frozen=True)
class CaseOps:
    """Which case-level operations the page offers the current user."""

    recall: bool
    withdraw: bool
    urge: bool
    copy: bool
    mark_read: bool


def case_ops(session: Session, user: User, case: Case, tasks: list[HumanTask]) -> CaseOps:
    running, mine = case.status == "running", case.created_by == user.id
    copy = session.scalar(select(CaseCopy).where(CaseCopy.case_id == case.id, CaseCopy.user_id == user.id))
    admin = any(holds(user, "admin", o) for o in (case.org_id, case.org.parent_id) if o)
    return CaseOps(recall=running and mine and can_recall(tasks), withdraw=running and mine,
                   urge=running and (mine or admin), copy=True, mark_read=copy is not None and copy.read_at is None)

"""People pickers: who may be chosen for 代理人, 转办, 委派, 加签 and 抄送, searchable by name or username.

Each list applies the same rule the operation itself enforces (the operation still checks on submit)."""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases import queries as queries
from engine.errors import InvalidData, PermissionDenied
from engine.identity.access import holds, is_member, may_act
from engine.identity.models import Membership, User
from engine.review import case_ops as review_ops
from engine.review import separation
from engine.review import task_ops as task_ops
from engine.runtime.models import Case, HumanTask

MAX_RESULTS = 20
MAX_QUERY = 50


class Purpose(StrEnum):
    PROXY = "proxy"
    TRANSFER = "transfer"
    DELEGATE = "delegate"
    SIGNER = "signer"
    COPY = "copy"

    @property
    def label(self) -> str:
        return {"proxy": "代理人", "transfer": "转办", "delegate": "委派", "signer": "加签", "copy": "抄送"}[self]


TASK_PURPOSES = (Purpose.TRANSFER, Purpose.DELEGATE, Purpose.SIGNER)


def purpose_of(raw: str | None) -> Purpose:
    try:
        return Purpose(raw or "")
    except ValueError:
        raise InvalidData("选择人员的用途无效", {"for": "可选：proxy、transfer、delegate、signer、copy"}) from None


def proxy_candidates(session: Session, user: User) -> list[User]:
    """Active members (not admins or auditors) of every organisation the user belongs to, except the user."""
    org_ids = {m.org_id for m in user.memberships}
    if not org_ids:
        return []
    users = session.scalars(select(User).join(Membership, Membership.user_id == User.id)
                            .where(Membership.org_id.in_(org_ids), User.active.is_(True), User.id != user.id)
                            .distinct())
    return sorted((u for u in users if all(is_member(u, org_id) for org_id in org_ids)), key=lambda u: u.username)


def task_candidates(session: Session, user: User, row: HumanTask, purpose: Purpose) -> list[User]:
    """Whom ``user`` may hand ``row`` to: 委派 anyone of the society (not themselves or the submitter); 转办 holders
    of the step's role, 加签 the signer candidates, both without a separation-of-duties conflict."""
    people = [u for u in review_ops.copy_candidates(session, row.case) if u.id not in (user.id, row.submitter_id)]
    if purpose == Purpose.DELEGATE:
        return people
    free = [u for u in people if separation.conflicting_step(session, row, u) is None]
    if purpose == Purpose.TRANSFER:
        return [u for u in free if holds(u, row.role, row.scope_org_id)]
    return [u for u in free if task_ops.signer_candidate(session, row, u) is None]


def copy_candidates(session: Session, user: User, case: Case) -> list[User]:
    return [u for u in review_ops.copy_candidates(session, case) if u.id != user.id]


def matching(people: list[User], query: str | None, limit: int = MAX_RESULTS) -> list[User]:
    """The people whose name or username contains ``query`` (all when empty), at most ``limit``."""
    text = (query or "").strip().lower()
    if len(text) > MAX_QUERY:
        raise InvalidData("搜索内容过长", {"q": f"不能超过 {MAX_QUERY} 个字"})
    return [u for u in people if not text or text in u.name.lower() or text in u.username.lower()][:limit]


def candidates(session: Session, user: User, purpose: Purpose, task_id: int | None = None,
               case_id: int | None = None, query: str | None = None) -> list[User]:
    """The people ``user`` may choose for ``purpose`` now (on the task or case named), filtered by ``query``."""
    if purpose == Purpose.PROXY:
        return matching(proxy_candidates(session, user), query)
    if purpose in TASK_PURPOSES:
        if task_id is None:
            raise InvalidData("请指定任务", {"task": "缺少任务编号"})
        row = queries.get_task(session, user, task_id)
        if row.status != "open" or row.kind != "review" or not may_act(session, user, row):
            raise PermissionDenied(f"您当前不能对此任务{purpose.label}")
        return matching(task_candidates(session, user, row, purpose), query)
    if case_id is None:
        raise InvalidData("请指定事项", {"case": "缺少事项编号"})
    case = queries.get_case(session, user, case_id)
    if not review_ops.case_ops(session, user, case, queries.case_tasks(session, case)).copy:
        raise PermissionDenied("您不能抄送此事项")
    return matching(copy_candidates(session, user, case), query)

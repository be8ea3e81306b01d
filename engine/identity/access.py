"""Who may see and act on what. Every query for cases or tasks is scoped through these helpers."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import beijing_today
from engine.identity.models import Organisation, ProxyRule, User
from engine.roles import OVERSIGHT_ROLES
from engine.runtime.deploy import specs_for
from engine.runtime.models import HumanTask
from engine.runtime.projection import is_political


def visible_org_ids(session: Session, user: User) -> set[int]:
    """Organisations whose cases ``user`` may see: where they hold a role, and for a role held in the
    supervising 科协, every society it supervises."""
    direct = {m.org_id for m in user.memberships}
    supervised = {m.org_id for m in user.memberships if m.org.kind == "supervisor"}
    if supervised:
        children = session.scalars(select(Organisation.id).where(Organisation.parent_id.in_(supervised)))
        direct.update(children)
    return direct


def holds(user: User, role: str, org_id: int) -> bool:
    return any(m.role == role and m.org_id == org_id for m in user.memberships)


def can_act_on(user: User, task: HumanTask) -> bool:
    """Eligible to complete ``task``: the named assignee, or a holder of its role in its scope who is not
    the case's submitter (nobody approves their own case)."""
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.kind == "review" and task.submitter_id == user.id:
        return False
    return holds(user, task.role, task.scope_org_id)


def principals_of(session: Session, proxy: User, on: date | None = None) -> list[User]:
    """The people ``proxy`` stands in for today (代理人 rules in force, not cancelled)."""
    day = on or beijing_today()
    stmt = select(ProxyRule).where(ProxyRule.proxy_id == proxy.id, ProxyRule.cancelled_at.is_(None),
                                   ProxyRule.starts_on <= day, ProxyRule.ends_on >= day)
    return [rule.principal for rule in session.scalars(stmt) if rule.principal.active]


def is_member(user: User, org_id: int) -> bool:
    """An active user holding a role in the organisation other than admin or auditor."""
    return user.active and any(m.org_id == org_id and m.role not in OVERSIGHT_ROLES for m in user.memberships)


def political_task(task: HumanTask) -> bool:
    """The task is a political pre-review step (user-task property ``political=true``)."""
    definition = task.case.definition
    policies = (definition.properties or {}).get("steps")
    if isinstance(policies, dict) and task.bpmn_id in policies:
        return bool(policies[task.bpmn_id].get("political"))
    return is_political(*specs_for(definition), task.bpmn_id)


def proxy_principal(session: Session, user: User, task: HumanTask) -> User | None:
    """The person on whose behalf ``user`` may act on ``task`` as their proxy (None when not a proxy for it).

    A proxy must be a member of the step's organisation, and never stands in on a political step: that is
    decided only by a holder of its role (the society's 党组织书记) in their own right."""
    if task.kind == "review" and task.submitter_id == user.id:
        return None
    if not is_member(user, task.scope_org_id) or political_task(task):
        return None
    return next((p for p in principals_of(session, user) if can_act_on(p, task)), None)


def may_act(session: Session, user: User, task: HumanTask) -> bool:
    """May complete ``task`` now: in their own right, or as the proxy of someone who may."""
    return can_act_on(user, task) or proxy_principal(session, user, task) is not None

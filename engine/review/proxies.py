"""代理人: a reviewer who is away names a proxy for a date range; their tasks go to the proxy meanwhile."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases.notify import notify
from engine.clock import beijing_today
from engine.db import utcnow
from engine.errors import Conflict, InvalidData, NotFound
from engine.identity.access import holds, is_member
from engine.identity.models import ProxyRule, User
from engine.roles import role_label

MAX_DAYS = 366
POLITICAL_ROLE = "party_secretary"


def set_proxy(session: Session, user: User, proxy_username: str, starts_on: date | None,
              ends_on: date | None) -> ProxyRule:
    """Name a proxy from ``starts_on`` to ``ends_on`` (Beijing dates, inclusive). One rule in force at a time."""
    proxy = session.scalar(select(User).where(User.username == (proxy_username or "").strip()))
    if proxy is None or not proxy.active or proxy.id == user.id:
        raise InvalidData("代理人无效", {"proxy": "请选择本人以外的有效用户"})
    if not all(is_member(proxy, org_id) for org_id in {m.org_id for m in user.memberships}):
        raise InvalidData("代理人无效", {"proxy": "代理人须是您所属每个组织的在职成员（管理员、审计员不能担任代理人）"})
    _check_dates(starts_on, ends_on)
    assert starts_on is not None and ends_on is not None
    if _overlapping(session, user, starts_on, ends_on):
        raise Conflict("该时间段已设置了代理人，请先取消原设置")
    rule = ProxyRule(principal_id=user.id, proxy_id=proxy.id, starts_on=starts_on, ends_on=ends_on)
    session.add(rule)
    session.flush()
    audit.record(session, "proxy.set", actor=user, proxy=proxy.name, proxy_id=proxy.id,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    notify(session, proxy.id, "proxy", f"{user.name}在 {starts_on} 至 {ends_on} 期间由您代理审批")
    return rule


def _check_dates(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is None or ends_on is None:
        raise InvalidData("请填写代理期限", {"starts_on": "请填写开始和结束日期"})
    if ends_on < starts_on or ends_on < beijing_today():
        raise InvalidData("代理期限无效", {"ends_on": "结束日期不能早于开始日期或今天"})
    if ends_on - starts_on > timedelta(days=MAX_DAYS):
        raise InvalidData("代理期限无效", {"ends_on": f"代理期限最长 {MAX_DAYS} 天"})


def _overlapping(session: Session, user: User, starts_on: date, ends_on: date) -> bool:
    return session.scalar(select(ProxyRule.id).where(
        ProxyRule.principal_id == user.id, ProxyRule.cancelled_at.is_(None),
        ProxyRule.starts_on <= ends_on, ProxyRule.ends_on >= starts_on).limit(1)) is not None


def cancel_proxy(session: Session, user: User, rule_id: int) -> ProxyRule:
    rule = session.get(ProxyRule, rule_id)
    if rule is None or rule.principal_id != user.id:
        raise NotFound("代理设置不存在")
    if rule.cancelled_at is None:
        rule.cancelled_at = utcnow()
        audit.record(session, "proxy.cleared", actor=user, proxy=rule.proxy.name, proxy_id=rule.proxy_id)
        session.flush()
    return rule


def my_rules(session: Session, user: User) -> list[ProxyRule]:
    """The user's proxy settings that are in force or still to come."""
    return list(session.scalars(select(ProxyRule).where(
        ProxyRule.principal_id == user.id, ProxyRule.cancelled_at.is_(None),
        ProxyRule.ends_on >= beijing_today()).order_by(ProxyRule.starts_on)))


def proxy_limits(principal: User, proxy: User) -> list[str]:
    """What the proxy will not receive: the political steps of each role the principal holds and the proxy lacks
    (political=true steps are decided only by a holder of the party role, never by a proxy)."""
    notes = []
    for m in principal.memberships:
        if m.role == POLITICAL_ROLE and not holds(proxy, m.role, m.org_id):
            notes.append(f"{proxy.name}不是{m.org.name}的{role_label(m.role)}：政治把关步骤（如党组织前置审查）"
                         f"不会交给代理人，仍须由您本人办理")
    return notes

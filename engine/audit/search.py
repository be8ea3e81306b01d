"""What an auditor may read, and the search across audit events within that scope, with CSV and JSON export.

A society's ``auditor`` or ``supervisor`` (监事) reads that society; an ``auditor`` of the supervising 科协 reads
the 科协 and every society it supervises, plus the system events (logins, deployments) that belong to no society.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.audit.cells import csv_cell
from engine.clock import to_beijing, utc_end_of, utc_start_of
from engine.errors import AccessDenied, InvalidData
from engine.identity.models import Organisation, User
from engine.input_limits import DATE_RANGE_HINT, in_date_range
from engine.journal import AuditEvent
from engine.roles import role_label
from engine.runtime.models import Case
from engine.vocabulary import AuditAction, Decision

AUDIT_ROLES = ("auditor", "supervisor")
EXPORT_LIMIT = 50_000
DECISIONS = ("submit", "approve", "return", "reject")


@dataclass(frozen=True)
class AuditScope:
    org_ids: frozenset[int]
    system: bool

    def allows(self, org_id: int | None) -> bool:
        return org_id in self.org_ids if org_id is not None else self.system


def audit_scope(session: Session, user: User) -> AuditScope:
    """The organisations whose audit trail ``user`` may read (empty when they hold no audit role)."""
    held = {m.org_id for m in user.memberships if m.role in AUDIT_ROLES}
    supervised = {m.org_id for m in user.memberships if m.role == "auditor" and m.org.kind == "supervisor"}
    if supervised:
        held.update(session.scalars(select(Organisation.id).where(Organisation.parent_id.in_(supervised))))
    return AuditScope(frozenset(held), bool(supervised))


def is_auditor(user: User) -> bool:
    return any(m.role in AUDIT_ROLES for m in user.memberships)


def require_scope(session: Session, user: User) -> AuditScope:
    scope = audit_scope(session, user)
    if not scope.org_ids:
        raise AccessDenied("页面不存在或您无权访问", {"area": "audit"})
    return scope


def audited_case(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or not audit_scope(session, user).allows(case.org_id):
        raise AccessDenied("事项不存在或您无权访问", {"case_id": str(case_id)})
    return case


def scope_orgs(session: Session, scope: AuditScope) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.id.in_(scope.org_ids))
                                .order_by(Organisation.kind.desc(), Organisation.code)))


@dataclass(frozen=True)
class SearchFilters:
    org_id: int | None = None
    process_key: str = ""
    person: str = ""
    action: str = ""
    outcome: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_dict(self) -> dict[str, str]:
        values = {"org": self.org_id, "process": self.process_key, "person": self.person, "action": self.action,
                  "outcome": self.outcome, "from": self.date_from, "to": self.date_to}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_filters(args: Mapping[str, str]) -> SearchFilters:
    """Filters from query parameters; a bad value is an InvalidData with a Chinese message per field."""
    errors: dict[str, str] = {}
    org_id = _int(args.get("org", ""), "org", errors)
    outcome = args.get("outcome", "").strip()
    if outcome and outcome not in DECISIONS:
        errors["outcome"] = "处理结果无效"
    start, end = _date(args.get("from", ""), "from", errors), _date(args.get("to", ""), "to", errors)
    if start and end and start > end:
        errors["to"] = "结束日期不能早于开始日期"
    if errors:
        raise InvalidData("查询条件有误", errors)
    return SearchFilters(org_id, args.get("process", "").strip()[:64], args.get("person", "").strip()[:100],
                         args.get("action", "").strip()[:40], outcome, start, end)


def _int(raw: str, name: str, errors: dict[str, str]) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        errors[name] = "请选择列表中的组织"
        return None
    return int(raw)


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "日期格式应为 YYYY-MM-DD"
        return None
    if not in_date_range(day):
        errors[name] = DATE_RANGE_HINT
        return None
    return day


def beijing(value: datetime) -> str:
    return to_beijing(value).strftime("%Y-%m-%d %H:%M:%S")


def _statement(scope: AuditScope, filters: SearchFilters) -> Select[Any]:
    stmt = select(AuditEvent, Case).outerjoin(Case, Case.id == AuditEvent.case_id)
    in_scope = AuditEvent.org_id.in_(scope.org_ids)
    stmt = stmt.where(or_(in_scope, AuditEvent.org_id.is_(None)) if scope.system else in_scope)
    if filters.org_id is not None:
        stmt = stmt.where(AuditEvent.org_id == filters.org_id)
    if filters.process_key:
        stmt = stmt.where(Case.process_key == filters.process_key)
    if filters.person:
        users = select(User.id).where(User.username == filters.person)
        stmt = stmt.where(or_(AuditEvent.actor_name.contains(filters.person, autoescape=True),
                              AuditEvent.actor_id.in_(users)))
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.outcome:
        stmt = stmt.where(AuditEvent.detail["decision"].as_string() == filters.outcome)
    if filters.date_from:
        stmt = stmt.where(AuditEvent.occurred_at >= utc_start_of(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEvent.occurred_at < utc_end_of(filters.date_to))
    return stmt


@dataclass(frozen=True)
class Hit:
    event: AuditEvent
    case: Case | None


@dataclass(frozen=True)
class Results:
    items: list[Hit]
    total: int
    limit: int
    offset: int


def search(session: Session, scope: AuditScope, filters: SearchFilters, limit: int = 50,
           offset: int = 0) -> Results:
    """Events in scope matching the filters, newest first."""
    stmt = _statement(scope, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
    return Results([Hit(e, c) for e, c in rows], total, limit, offset)


def filter_choices(session: Session, scope: AuditScope) -> dict[str, list[tuple[str, str]]]:
    """The values offered in the search form: organisations, processes and actions seen in scope."""
    orgs = [(str(o.id), o.name) for o in scope_orgs(session, scope)]
    processes = session.execute(select(Case.process_key, func.min(Case.id)).where(Case.org_id.in_(scope.org_ids))
                                .group_by(Case.process_key).order_by(Case.process_key)).all()
    names = {k: session.get(Case, i).definition.name for k, i in processes}  # type: ignore[union-attr]
    in_scope = AuditEvent.org_id.in_(scope.org_ids)
    seen = or_(in_scope, AuditEvent.org_id.is_(None)) if scope.system else in_scope
    actions = session.scalars(select(AuditEvent.action).where(seen).distinct().order_by(AuditEvent.action)).all()
    return {"orgs": orgs, "processes": list(names.items()), "actions": [(a, a) for a in actions]}


EXPORT_COLUMNS = ("事件编号", "时间（北京时间）", "动作", "操作人", "角色", "代表", "组织", "事项编号", "事项标题",
                  "流程", "步骤", "处理结果", "意见", "前序哈希", "哈希")


def export_rows(session: Session, scope: AuditScope, filters: SearchFilters) -> list[dict[str, Any]]:
    """Every matching event (oldest first, at most EXPORT_LIMIT) as plain data."""
    stmt = _statement(scope, filters).order_by(AuditEvent.id).limit(EXPORT_LIMIT)
    orgs = {o.id: o.name for o in session.scalars(select(Organisation))}
    return [event_record(e, c, orgs) for e, c in session.execute(stmt).all()]


def event_record(event: AuditEvent, case: Case | None, orgs: Mapping[int, str]) -> dict[str, Any]:
    detail = event.detail or {}
    return {
        "id": event.id, "occurred_at": event.occurred_at.isoformat(timespec="microseconds") + "Z",
        "occurred_at_beijing": beijing(event.occurred_at), "action": event.action,
        "actor_id": event.actor_id, "actor_name": event.actor_name, "role": detail.get("role") or "",
        "on_behalf_of": detail.get("on_behalf_of_name") or detail.get("on_behalf_of") or "",
        "org_id": event.org_id, "org": orgs.get(event.org_id or 0, ""), "case_id": event.case_id,
        "case_number": case.number if case else "", "case_title": case.title if case else "",
        "process": case.process_key if case else "", "process_name": case.definition.name if case else "",
        "step": detail.get("step_name") or "",
        "decision": detail.get("decision") or "", "comment": detail.get("comment") or "",
        "detail": detail, "chain": event.chain, "prev_hash": event.prev_hash, "hash": event.hash,
    }


def to_csv(records: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows the Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for r in records:
        role = role_label(r["role"]) if r["role"] else ""
        writer.writerow([csv_cell(v) for v in (
            r["id"], r["occurred_at_beijing"], AuditAction.label_of(r["action"]), r["actor_name"], role,
            r["on_behalf_of"], r["org"], r["case_number"], r["case_title"], r["process_name"] or r["process"], r["step"],
            Decision.label_of(r["decision"]) if r["decision"] else "", r["comment"],
            r["prev_hash"], r["hash"])])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_json(records: list[dict[str, Any]], filters: SearchFilters) -> bytes:
    return json.dumps({"filters": filters.as_dict(), "count": len(records), "events": records},
                      ensure_ascii=False, indent=2).encode("utf-8")


def log_export(session: Session, user: User, filters: SearchFilters | dict[str, str], fmt: str, count: int,
               report: str = "search") -> None:
    """Exports are themselves recorded in the chain: who took what out, in which format."""
    chosen = filters.as_dict() if isinstance(filters, SearchFilters) else filters
    audit.record(session, "audit.exported", actor=user, format=fmt, filters=chosen, count=count, report=report)

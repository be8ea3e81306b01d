"""Read-side queries for inboxes and case pages. They never deserialize a workflow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import Session

from .access import visible_org_ids
from .cases import AccessDenied
from .deploy import latest_definitions
from .models import AuditEvent, Case, HumanTask, Organisation, ProcessDefinition, User

TODO, DONE, STARTED = "todo", "done", "started"
VIEWS = (TODO, DONE, STARTED)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    limit: int
    offset: int


def _todo_branches(user: User) -> list[Any]:
    """One indexed branch per role membership, plus the tasks assigned to the user by name."""
    branches = [
        and_(HumanTask.scope_org_id == m.org_id, HumanTask.role == m.role, HumanTask.status == "open",
             HumanTask.assignee_id.is_(None), HumanTask.submitter_id != user.id)
        for m in user.memberships
    ]
    branches.append(and_(HumanTask.assignee_id == user.id, HumanTask.status == "open"))
    return branches


def todo_tasks(session: Session, user: User, limit: int = 50, offset: int = 0) -> Page:
    """Open tasks the user may act on, oldest first. Each branch is limited before the merge, so every
    branch reads only ``offset + limit`` rows from its index however large the inbox is."""
    branches = _todo_branches(user)
    window = offset + limit
    parts = [select(HumanTask.id, HumanTask.created_at).where(cond).order_by(HumanTask.created_at, HumanTask.id)
             .limit(window) for cond in branches]
    merged = union_all(*[p.subquery().select() for p in parts]).subquery()
    ids = session.execute(select(merged.c.id).order_by(merged.c.created_at, merged.c.id)
                          .limit(limit).offset(offset)).scalars().all()
    rows = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(ids)))}
    total = sum(session.scalar(select(func.count()).select_from(HumanTask).where(cond)) or 0 for cond in branches)
    return Page([rows[i] for i in ids if i in rows], total, limit, offset)


def done_tasks(session: Session, user: User, limit: int = 50, offset: int = 0) -> Page:
    cond = and_(HumanTask.completed_by == user.id, HumanTask.status == "completed")
    items = session.scalars(select(HumanTask).where(cond).order_by(HumanTask.completed_at.desc(), HumanTask.id.desc())
                            .limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(HumanTask).where(cond)) or 0
    return Page(list(items), total, limit, offset)


def started_cases(session: Session, user: User, limit: int = 50, offset: int = 0) -> Page:
    cond = Case.created_by == user.id
    items = session.scalars(select(Case).where(cond).order_by(Case.created_at.desc(), Case.id.desc())
                            .limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(Case).where(cond)) or 0
    return Page(list(items), total, limit, offset)


def current_tasks(session: Session, cases: list[Case]) -> dict[int, list[HumanTask]]:
    """The open tasks of each case (the step it is waiting at)."""
    if not cases:
        return {}
    rows = session.scalars(select(HumanTask).where(HumanTask.case_id.in_([c.id for c in cases]),
                                                   HumanTask.status == "open").order_by(HumanTask.id))
    result: dict[int, list[HumanTask]] = {c.id: [] for c in cases}
    for row in rows:
        result[row.case_id].append(row)
    return result


def get_case(session: Session, user: User, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None or case.org_id not in visible_org_ids(session, user):
        raise AccessDenied("事项不存在或您无权访问", {"case_id": str(case_id)})
    return case


def get_task(session: Session, user: User, task_id: int) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None or task.org_id not in visible_org_ids(session, user):
        raise AccessDenied("任务不存在或您无权访问", {"task_id": str(task_id)})
    return task


def case_tasks(session: Session, case: Case) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)))


def case_history(session: Session, case: Case) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)))


def startable_processes(session: Session, user: User) -> list[tuple[ProcessDefinition, list[Organisation]]]:
    """Processes the user may file, each with the organisations they may file it for."""
    result = []
    for definition in latest_definitions(session):
        role = definition.properties.get("startRole")
        orgs = [m.org for m in user.memberships if role is None or m.role == role]
        orgs = [o for o in orgs if o.kind == "society"]
        if orgs:
            result.append((definition, sorted({o.id: o for o in orgs}.values(), key=lambda o: o.code)))
    return result

"""Read-side queries for inboxes and case pages. They never deserialize a workflow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select, union_all
from sqlalchemy.orm import Session, defer, joinedload, selectinload

from engine.cases import inbox as inbox
from engine.cases.inbox import NO_FILTER, InboxFilter
from engine.cases.models import CaseCopy
from engine.errors import AccessDenied
from engine.identity.access import is_member, principals_of, visible_org_ids
from engine.identity.models import Organisation, User
from engine.journal import AuditEvent
from engine.library import catalogue as catalogue
from engine.runtime import open_counts as open_counts
from engine.runtime import user_counts as user_counts
from engine.runtime.deploy import latest_definitions
from engine.runtime.models import Case, HumanTask, ProcessDefinition
from engine.runtime.open_counts import OpenTaskTally
from engine.runtime.user_counts import TallyKind

OPEN_VIEW, DONE, STARTED, COPIED = "todo", "done", "started", "copied"
VIEWS = (OPEN_VIEW, DONE, STARTED, COPIED)


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Branch:
    """One indexed part of a 待办 inbox; ``cond`` selects its rows. A role pool's branch (``pool`` = scope
    organisation, role) is counted unfiltered from the pool's tally less its tasks filed by ``left_out``;
    a proxy's branch also leaves out the tallies of political steps (``political``)."""

    cond: Any
    pool: tuple[int, str] | None = None
    left_out: tuple[int, ...] = ()
    political: Any = None


def _todo_branches(session: Session, user: User) -> list[Branch]:
    """One indexed branch per role membership, plus the tasks assigned to the user by name; the same for each
    person the user is 代理人 for today (never a case the user filed; a role already covered is not repeated)."""
    seen: set[tuple[int, str]] = set()
    branches = _person_branches(user, seen)
    principals = principals_of(session, user)
    if not principals:
        return branches
    member_of = [m.org_id for m in user.memberships if is_member(user, m.org_id)]
    political, tally_political = _political_steps(session)
    stand_in = [HumanTask.submitter_id != user.id, HumanTask.scope_org_id.in_(member_of), not_(political)]
    for principal in principals:
        branches += [Branch(and_(b.cond, *stand_in), b.pool, (*b.left_out, user.id), tally_political)
                     for b in _person_branches(principal, seen, set(member_of))]
    return branches


def _political_steps(session: Session) -> tuple[Any, Any]:
    """Political steps (``political=true`` in the version its case runs), as a condition on tasks and on
    tallies: proxies never get those."""
    by_step: dict[str, list[int]] = {}
    for definition_id, properties in session.execute(select(ProcessDefinition.id, ProcessDefinition.properties)):
        for step, policy in ((properties or {}).get("steps") or {}).items():
            if isinstance(policy, dict) and policy.get("political"):
                by_step.setdefault(step, []).append(definition_id)
    if not by_step:
        return false(), false()
    tasks = or_(*[and_(HumanTask.bpmn_id == step,
                       HumanTask.case_id.in_(select(Case.id).where(Case.definition_id.in_(ids))))
                  for step, ids in by_step.items()])
    tallies = or_(*[and_(OpenTaskTally.bpmn_id == step, OpenTaskTally.definition_id.in_(ids))
                    for step, ids in by_step.items()])
    return tasks, tallies


def _person_branches(person: User, seen: set[tuple[int, str]], orgs: set[int] | None = None) -> list[Branch]:
    branches = []
    for m in person.memberships:
        if (m.org_id, m.role) not in seen and (orgs is None or m.org_id in orgs):
            seen.add((m.org_id, m.role))
            branches.append(Branch(and_(_pool(m.org_id, m.role), HumanTask.submitter_id != person.id),
                                   (m.org_id, m.role), (person.id,)))
    branches.append(Branch(and_(HumanTask.assignee_id == person.id, HumanTask.status == "open")))
    return branches


def _pool(org_id: int, role: str) -> Any:
    return and_(HumanTask.scope_org_id == org_id, HumanTask.role == role, HumanTask.status == "open",
                HumanTask.assignee_id.is_(None))


def _branch_select(columns: list[Any], cond: Any, f: InboxFilter) -> Any:
    stmt = select(*columns).select_from(HumanTask).where(cond, *inbox.todo_task_conditions(f))
    if f.needs_case_join:
        stmt = stmt.where(HumanTask.case_id.in_(select(Case.id).where(*inbox.case_conditions(f, with_org=False))))
    return stmt


def _branch_parts(cond: Any, f: InboxFilter, sort: str, window: int) -> list[Any]:
    """The limited, index-ordered selects of one branch. Sorting by due date reads the tasks with a due date
    by the due-date index, then those without one by the inbox index (no sort over the whole branch)."""
    columns = [HumanTask.id, HumanTask.created_at, HumanTask.due_at]
    if sort != inbox.DUE:
        order = inbox.ordering(sort, HumanTask.created_at, HumanTask.id)
        return [_branch_select(columns, cond, f).order_by(*order).limit(window)]
    dated = _branch_select(columns, cond, f).where(HumanTask.due_at.is_not(None))
    undated = _branch_select(columns, cond, f).where(HumanTask.due_at.is_(None))
    return [dated.order_by(HumanTask.due_at, HumanTask.id).limit(window),
            undated.order_by(HumanTask.created_at, HumanTask.id).limit(window)]


LISTED_TASK = selectinload(HumanTask.case).options(defer(Case.state), joinedload(Case.org))
"""What a task list shows of each task: its case (without the workflow state) and society, in one more query."""


def todo_tasks(session: Session, user: User, limit: int = 50, offset: int = 0, f: InboxFilter = NO_FILTER) -> Page:
    """Open tasks the user may act on, oldest first unless sorted otherwise. Each branch is limited before
    the merge, so every branch reads only ``offset + limit`` rows from its index however large the inbox is."""
    f = inbox.exact_number(session, f)
    sort = f.sort or inbox.OLDEST
    branches = _todo_branches(session, user)
    if f.case_id:
        return _one_case_todo(session, branches, f, sort, limit, offset)
    parts = [part for b in branches for part in _branch_parts(b.cond, f, sort, offset + limit)]
    merged = union_all(*[p.subquery().select() for p in parts]).subquery()
    ids = session.execute(select(merged.c.id).order_by(*inbox.ordering(sort, merged.c.created_at, merged.c.id,
                                                                       merged.c.due_at))
                          .limit(limit).offset(offset)).scalars().all()
    rows = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.id.in_(ids)).options(LISTED_TASK))}
    return Page([rows[i] for i in ids if i in rows], _todo_total(session, branches, f), limit, offset)


def _one_case_todo(session: Session, branches: list[Branch], f: InboxFilter, sort: str, limit: int,
                   offset: int) -> Page:
    """A search by exact case number: the case's few open tasks, read by the case index."""
    rows = session.scalars(select(HumanTask).where(HumanTask.case_id == f.case_id, or_(*[b.cond for b in branches]),
                                                   *inbox.todo_task_conditions(f), *_case_rest(f))
                           .order_by(*inbox.ordering(sort, HumanTask.created_at, HumanTask.id, HumanTask.due_at))).all()
    return Page(list(rows[offset:offset + limit]), len(rows), limit, offset)


def _case_rest(f: InboxFilter) -> list[Any]:
    if not f.process:
        return []
    return [HumanTask.case_id.in_(select(Case.id).where(Case.process_key == f.process))]


def _todo_total(session: Session, branches: list[Branch], f: InboxFilter) -> int:
    """Filtered: an index COUNT per branch (linear in the matching tasks of each branch). Unfiltered: a pool is
    its tally less the tally of its tasks filed by the people left out; a named-assignee branch is an index
    COUNT of that person's open tasks."""
    if f.active:
        return sum(session.scalar(_branch_select([func.count()], b.cond, f)) or 0 for b in branches)
    return sum(_branch_total(session, b) for b in branches)


def _branch_total(session: Session, branch: Branch) -> int:
    if branch.pool is None:
        return session.scalar(select(func.count()).select_from(HumanTask).where(branch.cond)) or 0
    org_id, role = branch.pool
    if branch.political is None:
        return open_counts.pooled_count(session, org_id, role, branch.left_out)
    return open_counts.pooled_count(session, org_id, role, branch.left_out, not_(branch.political))


def todo_count(session: Session, user: User) -> int:
    """The number of open tasks the user may act on (the 待办 badge), without reading any row."""
    return _todo_total(session, _todo_branches(session, user), NO_FILTER)


def done_tasks(session: Session, user: User, limit: int = 50, offset: int = 0, f: InboxFilter = NO_FILTER) -> Page:
    """Tasks the user completed, most recent first unless sorted otherwise."""
    f = inbox.exact_number(session, f)
    conds = [HumanTask.completed_by == user.id, HumanTask.status == "completed", *inbox.done_task_conditions(f)]
    base = select(HumanTask).where(*conds)
    counter = select(func.count()).select_from(HumanTask).where(*conds)
    if f.needs_case_join:
        base = base.join(Case, Case.id == HumanTask.case_id).where(*inbox.case_conditions(f, with_org=False))
        counter = counter.join(Case, Case.id == HumanTask.case_id).where(*inbox.case_conditions(f, with_org=False))
    order = inbox.ordering(f.sort or inbox.NEWEST, HumanTask.completed_at, HumanTask.id)
    items = session.scalars(base.order_by(*order).limit(limit).offset(offset).options(LISTED_TASK)).all()
    if f.active:
        total = session.scalar(counter) or 0
    else:
        total = user_counts.totals(session, user.id)[TallyKind.DONE]
    return Page(list(items), total, limit, offset)


def _case_filter(f: InboxFilter, period_column: Any) -> list[Any]:
    conds = [*inbox.case_conditions(f), *inbox.period_conditions(period_column, f)]
    if f.overdue:
        conds.append(inbox.open_overdue_task_exists())
    return conds


def started_cases(session: Session, user: User, limit: int = 50, offset: int = 0,
                  f: InboxFilter = NO_FILTER) -> Page:
    """Cases the user filed, most recent first unless sorted otherwise."""
    f = inbox.exact_number(session, f)
    conds = [Case.created_by == user.id, *_case_filter(f, Case.created_at)]
    order = inbox.ordering(f.sort or inbox.NEWEST, Case.created_at, Case.id)
    items = session.scalars(select(Case).where(*conds).order_by(*order).limit(limit).offset(offset)).all()
    if f.active:
        total = session.scalar(select(func.count()).select_from(Case).where(*conds)) or 0
    else:
        total = user_counts.totals(session, user.id)[TallyKind.STARTED]
    return Page(list(items), total, limit, offset)


def copied_cases(session: Session, user: User, limit: int = 50, offset: int = 0,
                 f: InboxFilter = NO_FILTER) -> Page:
    """抄送我的: the copies sent to the user (items are CaseCopy rows), most recent first."""
    f = inbox.exact_number(session, f)
    conds = [CaseCopy.user_id == user.id, *_case_filter(f, CaseCopy.created_at)]
    base = select(CaseCopy).join(Case, Case.id == CaseCopy.case_id).where(*conds)
    order = inbox.ordering(f.sort or inbox.NEWEST, CaseCopy.created_at, CaseCopy.id)
    items = session.scalars(base.order_by(*order).limit(limit).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(CaseCopy).join(Case, Case.id == CaseCopy.case_id)
                           .where(*conds)) or 0
    return Page(list(items), total, limit, offset)


@dataclass(frozen=True)
class TabCounts:
    todo: int
    done: int
    started: int
    copied_unread: int


def tab_counts(session: Session, user: User) -> TabCounts:
    """The numbers beside the inbox tabs (unfiltered, each flat in the user's history); 抄送我的 counts the copies
    not yet marked 已阅."""
    unread = select(func.count()).select_from(CaseCopy).where(CaseCopy.user_id == user.id, CaseCopy.read_at.is_(None))
    own = user_counts.totals(session, user.id)
    return TabCounts(todo_count(session, user), own[TallyKind.DONE], own[TallyKind.STARTED],
                     session.scalar(unread) or 0)


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
    """The case's tasks in order, with who completed each (loaded in the same query, their memberships not)."""
    completers = joinedload(HumanTask.completer).lazyload(User.memberships)
    query = select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id).options(completers)
    return list(session.scalars(query))


def case_history(session: Session, case: Case) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)))


def startable_processes(session: Session, user: User) -> list[tuple[ProcessDefinition, list[Organisation]]]:
    """Processes the user may file, each with the organisations they may file it for."""
    result = []
    for definition in latest_definitions(session):
        role = definition.properties.get("startRole")
        orgs = [m.org for m in user.memberships if role is None or m.role == role]
        orgs = [o for o in orgs if o.kind == "society" and catalogue.may_start(session, definition.key, o.id)]
        if orgs:
            result.append((definition, sorted({o.id: o for o in orgs}.values(), key=lambda o: o.code)))
    return result

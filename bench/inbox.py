"""The inbox of a 科协 reviewer with 100,000 open tasks across 200 societies."""
from __future__ import annotations

import time
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import queries as queries
from engine.cases.inbox import NO_FILTER, InboxFilter
from engine.db import utcnow
from engine.identity import accounts as identity
from engine.identity.models import Organisation
from engine.runtime.models import Case, HumanTask, ProcessDefinition

from . import bulk


def _seed_orgs(session: Session, societies: int) -> tuple[int, list[int]]:
    supervisor = session.scalar(select(Organisation).where(Organisation.code == "TAST"))
    assert supervisor is not None
    ids = [identity.add_org(session, f"S{n:03d}", f"基准学会{n:03d}", "society", "TAST").id for n in range(societies)]
    identity.add_user(session, "b_cast", "学会部审核员", "bench-password")
    identity.grant_role(session, "b_cast", "cast_reviewer", "TAST")
    return supervisor.id, ids


def _bulk_tasks(session: Session, tasks: int, supervisor_id: int, org_ids: list[int]) -> None:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "annual_plan"))
    assert definition is not None
    submitter = identity.get_user(session, "b_staff").id
    base = utcnow() - timedelta(days=30)
    bulk.load_rows(session, Case.__table__, (dict(
        id=1_000_000 + n, number=f"S-{n:06d}", definition_id=definition.id, process_key="annual_plan",
        org_id=org_ids[n % len(org_ids)], title=f"计划 {n}", status="running", data={}, state="{}",
        serializer_version="1.5", version=1, created_by=submitter, created_at=base, updated_at=base)
        for n in range(tasks)))
    bulk.load_rows(session, HumanTask.__table__, (dict(
        case_id=1_000_000 + n, org_id=org_ids[n % len(org_ids)], scope_org_id=supervisor_id,
        submitter_id=submitter, assignee_id=None, role="cast_reviewer",
        spiff_task_id=f"00000000-0000-0000-0000-{n:012d}", bpmn_id="cast_filing", name="市科协学会部备案",
        kind="review", form_key="cast_filing", status="open", created_at=base + timedelta(seconds=n))
        for n in range(tasks)))


def measure_inbox(sessions: sessionmaker[Session], tasks: int, societies: int, repeat: int = 30) -> dict[str, list[float]]:
    with sessions() as session, session.begin():
        supervisor_id, org_ids = _seed_orgs(session, societies)
        _bulk_tasks(session, tasks, supervisor_id, org_ids)
    bulk.settle(sessions)
    results: dict[str, list[float]] = {}
    for label, offset, f, minimum in (
            (f"first page of {tasks:,} tasks (50 rows + total)", 0, NO_FILTER, tasks),
            ("page 100 (offset 4,950)", 4950, NO_FILTER, tasks),
            ("sorted by due date (50 rows + total)", 0, InboxFilter(sort="due"), tasks),
            ("one society, period filter (50 rows + total)", 0,
             InboxFilter(org_id=org_ids[0], since=date(2000, 1, 1)), tasks // len(org_ids)),
            ("search by case number (1 row + total)", 0, InboxFilter(search="S-000777"), 1)):
        results[label] = _sample(sessions, offset, f, minimum, repeat)
    return results


def _sample(sessions: sessionmaker[Session], offset: int, f: InboxFilter, minimum: int, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        with sessions() as session:
            user = identity.get_user(session, "b_cast")
            start = time.perf_counter()
            page = queries.todo_tasks(session, user, limit=50, offset=offset, f=f)
            samples.append(time.perf_counter() - start)
            assert page.total >= minimum and len(page.items) == min(50, minimum)
    return samples

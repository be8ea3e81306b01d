"""Cost per completion and per inbox page against the number of finished cases already stored (issue 13.5).

A year's finished cases must not slow today's work: every query of a completion or of an inbox page reads by
an index whose leading columns leave finished cases and their tasks out (status, case id, pool).
"""
from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import queries as queries
from engine.db import utcnow
from engine.identity import accounts as identity
from engine.runtime import user_counts as user_counts
from engine.runtime.models import Case, HumanTask, ProcessDefinition

from . import bulk
from .engine_cost import open_cases, seed, time_completions

FIRST_ID = 10_000_000
OPEN_FILINGS = 1000
"""Open 科协 filings besides the history, so the reviewer's first page is a full one."""


def measure_history(sessions: sessionmaker[Session], finished: int, iterations: int = 20) -> dict[str, list[float]]:
    """On a fresh database: seed, bulk-load ``finished`` finished cases (each with its completed 秘书长审核
    and 科协备案 tasks) and 1,000 open 科协 filings, ANALYZE, then time first inbox pages and completions."""
    with sessions() as session, session.begin():
        seed(session)
        identity.add_user(session, "b_cast", "学会部审核员", "bench-password")
        identity.grant_role(session, "b_cast", "cast_reviewer", "TAST")
        _load(session, finished)
    bulk.settle(sessions)
    task_ids = open_cases(sessions, iterations)
    return {
        "inbox first page, secretary-general (50 rows + total)": _pages(sessions, "b_sg", iterations),
        "inbox first page, 科协 reviewer (50 rows + total)": _pages(sessions, "b_cast", iterations),
        "inbox tab numbers, 科协 reviewer (待办, 已办, 我发起的, 抄送)": _tab_numbers(sessions, "b_cast", iterations),
        "inbox tab numbers, filer of every case": _tab_numbers(sessions, "b_staff", iterations),
        "complete_task incl. commit": time_completions(sessions, task_ids),
    }


def _load(session: Session, finished: int) -> None:
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "annual_plan"))
    assert definition is not None
    ids = _ids(session)
    bulk.load_rows(session, Case.__table__, (_case(n, True, definition.id, ids) for n in range(finished)), True)
    bulk.load_rows(session, HumanTask.__table__, (task for n in range(finished) for task in _tasks(n, True, ids)), True)
    user_counts.backfill(session.connection())
    filings = range(finished, finished + OPEN_FILINGS)
    bulk.load_rows(session, Case.__table__, (_case(n, False, definition.id, ids) for n in filings))
    bulk.load_rows(session, HumanTask.__table__, (task for n in filings for task in _tasks(n, False, ids)))


def _ids(session: Session) -> dict[str, int]:
    users = {name: identity.get_user(session, name).id for name in ("b_staff", "b_sg", "b_cast")}
    return {**users, "XH": identity.get_org(session, "XH").id, "TAST": identity.get_org(session, "TAST").id}


def _case(n: int, done: bool, definition_id: int, ids: dict[str, int]) -> dict[str, Any]:
    at = utcnow() - timedelta(days=400) + timedelta(seconds=n)
    return dict(id=FIRST_ID + n, number=f"H-{n:08d}", definition_id=definition_id, process_key="annual_plan",
                org_id=ids["XH"], title=f"历史计划 {n}", status="completed" if done else "running", data={},
                state="{}", serializer_version="1.5", version=1, created_by=ids["b_staff"], created_at=at,
                updated_at=at, finished_at=at + timedelta(days=20) if done else None)


def _tasks(n: int, done: bool, ids: dict[str, int]) -> Iterator[dict[str, Any]]:
    at = utcnow() - timedelta(days=400) + timedelta(seconds=n)
    steps = [("sg_review", "秘书长审核", "secretary_general", ids["XH"], "b_sg"),
             ("cast_filing", "市科协学会部备案", "cast_reviewer", ids["TAST"], "b_cast")]
    for bpmn_id, name, role, scope, who in steps if done else steps[1:]:
        yield dict(case_id=FIRST_ID + n, org_id=ids["XH"], scope_org_id=scope, submitter_id=ids["b_staff"],
                   assignee_id=None, role=role, spiff_task_id=f"{n:08d}-0000-0000-0000-{len(bpmn_id):012d}",
                   bpmn_id=bpmn_id, name=name, kind="review", form_key=bpmn_id,
                   status="completed" if done else "open", created_at=at,
                   completed_at=at + timedelta(days=5) if done else None,
                   completed_by=ids[who] if done else None, decision="approve" if done else None)


def _pages(sessions: sessionmaker[Session], username: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        with sessions() as session:
            user = identity.get_user(session, username)
            start = time.perf_counter()
            page = queries.todo_tasks(session, user, limit=50)
            samples.append(time.perf_counter() - start)
            assert page.total >= min(len(page.items), 1)
    return samples


def _tab_numbers(sessions: sessionmaker[Session], username: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        with sessions() as session:
            user = identity.get_user(session, username)
            start = time.perf_counter()
            numbers = queries.tab_counts(session, user)
            samples.append(time.perf_counter() - start)
            assert numbers.done + numbers.started + numbers.todo > 0
    return samples

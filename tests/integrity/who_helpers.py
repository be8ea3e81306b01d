"""Shared steps of the integrity tests: extra people in the seeded world, proxies, open tasks, case state."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.clock import beijing_today
from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask

from ..conftest import World, add_test_user


def add_person(world: World, username: str, *roles: tuple[str, str]) -> str:
    """A new user holding ``(role, org code)`` memberships."""
    with world.sessions() as session, session.begin():
        world.user_ids[username] = add_test_user(session, username, [(r, world.org_ids[o]) for r, o in roles]).id
    return username


def proxy_dates() -> dict[str, str]:
    today = beijing_today()
    return {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=3)).isoformat()}


def case_state(world: World, case_id: int) -> tuple[str, list[tuple[str, str, int | None]], int]:
    """Status, the (step, status, assignee) of every task, and the number of audit events: what a refusal
    must leave unchanged."""
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id))
        events = session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == case_id)).all()
        return case.status, [(t.bpmn_id, t.status, t.assignee_id) for t in tasks], len(events)


def actions(world: World, case_id: int) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))

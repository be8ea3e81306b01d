"""The process catalogue: a disabled process cannot be started, and only the chosen societies may start one."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.cases import operations as cases
from engine.cases import queries as queries
from engine.errors import NotFound, PermissionDenied
from engine.journal import AuditEvent
from engine.library import catalogue as catalogue

from ..conftest import World


def _update(world: World, enabled: bool, codes: list[str] | None) -> None:
    with world.sessions() as session, session.begin():
        catalogue.update(session, world.user(session, "admin"), "annual_plan", enabled, codes)


def _startable(world: World, username: str) -> list[str]:
    with world.sessions() as session:
        return [o.code for d, orgs in queries.startable_processes(session, world.user(session, username))
                if d.key == "annual_plan" for o in orgs]


def _start(world: World, username: str, org: str, plan: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        cases.start_case(session, world.user(session, username), "annual_plan", world.org(session, org), "计划", plan)


def test_every_society_may_start_by_default(world: World) -> None:
    assert _startable(world, "xh_staff") == ["XH"] and _startable(world, "yh_staff") == ["YH"]
    with world.sessions() as session:
        [entry] = [e for e in catalogue.entries(session) if e.definition.key == "annual_plan"]
        assert entry.enabled and entry.starter_orgs is None


def test_a_disabled_process_is_not_offered_and_cannot_be_started(world: World, plan_data: dict[str, Any]) -> None:
    _update(world, False, None)
    assert _startable(world, "xh_staff") == []
    with pytest.raises(PermissionDenied):
        _start(world, "xh_staff", "XH", plan_data)
    _update(world, True, None)
    _start(world, "xh_staff", "XH", plan_data)


def test_only_the_chosen_societies_may_start(world: World, plan_data: dict[str, Any]) -> None:
    _update(world, True, ["yh"])
    assert _startable(world, "xh_staff") == [] and _startable(world, "yh_staff") == ["YH"]
    with pytest.raises(PermissionDenied):
        _start(world, "xh_staff", "XH", plan_data)
    _start(world, "yh_staff", "YH", plan_data)
    with world.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "process.catalogue")).all()
        assert events[-1].detail["after"] == {"enabled": True, "starters": [world.org_ids["YH"]]}


def test_unknown_society_or_process_is_refused(world: World) -> None:
    with pytest.raises(NotFound):
        _update(world, True, ["TAST"])
    with world.sessions() as session, pytest.raises(NotFound):
        catalogue.update(session, world.user(session, "admin"), "nope", True, None)

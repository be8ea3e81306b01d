"""``baguan audit verify`` on an intact chain, and after a database owner edits or removes an event (T-AUD)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.runtime.models import HumanTask

from ..conftest import World
from ..review_checks import SG_CHECKS
from .helpers import assert_clean_failure, run_cli

EDITS = {
    "detail": "UPDATE audit_event SET detail = '{\"decision\": \"reject\"}' WHERE id = :id",
    "actor_name": "UPDATE audit_event SET actor_name = '他人' WHERE id = :id",
    "action": "UPDATE audit_event SET action = 'access.denied' WHERE id = :id",
    "occurred_at": "UPDATE audit_event SET occurred_at = '2000-01-01 00:00:00' WHERE id = :id",
}


def _history(world: World, plan: dict[str, Any]) -> list[int]:
    """A filed plan reviewed twice; returns the event ids in order."""
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "2027 年度工作计划", plan)
    for username in ("xh_sg", "xh_finance"):
        with world.sessions() as session, session.begin():
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id,
                                                                HumanTask.status == "open"))
            data = {"budget_checked": True} if username == "xh_finance" else SG_CHECKS
            cases.complete_task(session, world.user(session, username), task_id, "approve", "", data)
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def _as_database_owner(world: World, statement: str, event_id: int) -> None:
    """Bypass the application: directly on SQLite, with the append-only triggers disabled on PostgreSQL."""
    with world.sessions() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        assert session.execute(text(statement), {"id": event_id}).rowcount == 1
        if postgres:
            session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))


def test_verify_reports_an_intact_chain(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    ids = _history(world, plan_data)
    result = run_cli(db_url, "audit", "verify")
    assert result.exit_code == 0, result.output
    with world.sessions() as session:
        head = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    assert result.stdout.strip() == f"审计链完整：共 {len(ids)} 个事件，链头哈希 {head}"
    assert result.stderr == ""


def test_verify_of_an_empty_chain_succeeds(db_url: str, db_engine: Any) -> None:
    result = run_cli(db_url, "audit", "verify")
    assert result.exit_code == 0 and "共 0 个事件" in result.stdout


@pytest.mark.parametrize("column", list(EDITS))
def test_verify_names_the_first_edited_event(column: str, world: World, db_url: str,
                                             plan_data: dict[str, Any]) -> None:
    ids = _history(world, plan_data)
    victim = ids[len(ids) // 2]
    _as_database_owner(world, EDITS[column], victim)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert f"#{victim}" in line and "内容哈希不匹配" in line
    assert f"此前 {ids.index(victim)} 个事件完好" in line


def test_verify_detects_a_removed_middle_event(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    ids = _history(world, plan_data)
    victim = ids[len(ids) // 2]
    _as_database_owner(world, "DELETE FROM audit_event WHERE id = :id", victim)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    follower = ids[ids.index(victim) + 1]
    assert f"#{follower}" in line and "前序哈希不匹配" in line
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == len(ids) - 1


def test_verify_detects_a_forged_event_appended_without_the_chain(world: World, db_url: str,
                                                                 plan_data: dict[str, Any]) -> None:
    ids = _history(world, plan_data)
    with world.sessions() as session, session.begin():
        session.add(AuditEvent(action="task.completed", actor_name="伪造", detail={"decision": "approve"},
                               prev_hash="f" * 64, hash="e" * 64))
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert f"#{ids[-1] + 1}" in line

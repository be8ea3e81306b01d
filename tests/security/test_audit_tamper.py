"""``baguan audit verify`` on intact chains, and after a database owner edits or removes an event (T-AUD)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from engine import journal as audit
from engine.audit import checkpoints
from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.runtime.models import HumanTask

from ..audit.helpers import chain_ids
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
        status = checkpoints.chain_status(session)
        chains = len(set(session.scalars(select(AuditEvent.chain))))
    assert result.stdout.strip() == f"审计链完整：共 {len(ids)} 个事件，{chains} 条链，链头根哈希 {status.root}"
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
    assert f"该链此前 {chain_ids(world, victim).index(victim)} 个事件完好" in line


def _case_chain(world: World, ids: list[int]) -> list[int]:
    with world.sessions() as session:
        first = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case.started"))
    assert first is not None
    return chain_ids(world, first)


def test_verify_detects_a_removed_middle_event(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    chain = _case_chain(world, _history(world, plan_data))
    victim = chain[len(chain) // 2]
    _as_database_owner(world, "DELETE FROM audit_event WHERE id = :id", victim)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    follower = chain[chain.index(victim) + 1]
    assert f"#{follower}" in line and "前序哈希不匹配" in line
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.chain == audit.chain_key(
            world.org_ids["XH"]))) == len(chain) - 1


def test_verify_detects_a_removed_tail_by_the_head_row(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    """Without a checkpoint, the head row still tells; a tamperer who also moves it is caught by a checkpoint
    (tests/audit/test_checkpoints.py)."""
    chain = _case_chain(world, _history(world, plan_data))
    _as_database_owner(world, "DELETE FROM audit_event WHERE id = :id", chain[-1])
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    expected = f"链 {audit.chain_key(world.org_ids['XH'])}：链头记录有 {len(chain)} 个事件，链中实有 {len(chain) - 1} 个"
    assert expected in line and "链尾被删除" in line


def test_verify_detects_a_forged_event_appended_without_the_chain(world: World, db_url: str,
                                                                 plan_data: dict[str, Any]) -> None:
    ids = _history(world, plan_data)
    with world.sessions() as session, session.begin():
        session.add(AuditEvent(action="task.completed", actor_name="伪造", detail={"decision": "approve"},
                               chain=audit.SYSTEM_CHAIN, prev_hash="f" * 64, hash="e" * 64))
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert f"#{ids[-1] + 1}" in line

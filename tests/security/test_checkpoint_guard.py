"""Stored checkpoints are append-only like the chain, and ``audit verify`` cross-checks the chain's own
``audit.checkpoint`` events against them (issue 11, 10): a superuser who removes the tail and the checkpoints, or
rewrites an event and re-hashes the chain, no longer gets exit 0."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import journal as audit
from engine.journal import AuditEvent

from ..audit.helpers import as_database_owner, decide, file_plan, rehash_from, rewind_heads
from ..conftest import World
from .helpers import assert_clean_failure, run_cli


def _history_with_checkpoint(world: World, db_url: str, plan: dict[str, Any]) -> tuple[int, int]:
    """A filed plan, a checkpoint, then one more review; returns (checkpoint event id, last event id)."""
    case_id = file_plan(world, plan)
    decide(world, case_id, "xh_sg")
    assert run_cli(db_url, "audit", "checkpoint").exit_code == 0
    decide(world, case_id, "xh_finance", data={"budget_checked": True})
    with world.sessions() as session:
        logged = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "audit.checkpoint"))
        last = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    return logged, last


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("statement", ["DELETE FROM audit_checkpoint", "UPDATE audit_checkpoint SET head_hash = 'x'",
                                       "TRUNCATE audit_checkpoint"])
def test_stored_checkpoints_refuse_changes_on_postgresql(statement: str, world: World, db_url: str,
                                                         plan_data: dict[str, Any]) -> None:
    _history_with_checkpoint(world, db_url, plan_data)
    with world.sessions() as session, pytest.raises(DBAPIError) as refused:
        with session.begin():
            session.execute(text(statement))
    assert "append-only" in str(refused.value)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_init_db_installs_the_checkpoint_guard(db_url: str) -> None:
    result = run_cli(db_url, "init-db")
    assert result.exit_code == 0 and "数据库已就绪" in result.stdout, result.output
    from engine.db import make_engine
    engine = make_engine(db_url)
    with engine.connect() as connection:
        names = set(connection.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_checkpoint'::regclass AND tgenabled = 'A'")).scalars())
    engine.dispose()
    assert names == {"audit_checkpoint_no_update", "audit_checkpoint_no_truncate"}


def test_an_intact_chain_with_checkpoints_verifies(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    _history_with_checkpoint(world, db_url, plan_data)
    result = run_cli(db_url, "audit", "verify")
    assert result.exit_code == 0, result.output
    assert "已存检查点 1 个" in result.stdout


def test_a_removed_tail_and_removed_checkpoints_fail_verify(world: World, db_url: str,
                                                            plan_data: dict[str, Any]) -> None:
    logged, last = _history_with_checkpoint(world, db_url, plan_data)
    as_database_owner(world, "DELETE FROM audit_event WHERE id > :id", logged, rows=None)
    as_database_owner(world, "DELETE FROM audit_checkpoint WHERE id >= :id", 0, rows=None)
    rewind_heads(world)
    with world.sessions() as session:
        assert audit.verify_chain(session).ok, "the chains alone still verify"
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert f"#{logged}" in line and "删除" in line


def test_a_rewritten_and_rehashed_chain_fails_verify(world: World, db_url: str, plan_data: dict[str, Any]) -> None:
    logged, _ = _history_with_checkpoint(world, db_url, plan_data)
    with world.sessions() as session:
        victim = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "task.completed"))
    as_database_owner(world, "UPDATE audit_event SET actor_name = '他人' WHERE id = :id", victim)
    rehash_from(world, victim)
    as_database_owner(world, "DELETE FROM audit_checkpoint WHERE id >= :id", 0, rows=None)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert f"#{logged}" in line and "重算了哈希" in line


def test_a_checkpoint_whose_event_was_removed_fails_verify(world: World, db_url: str,
                                                           plan_data: dict[str, Any]) -> None:
    logged, _ = _history_with_checkpoint(world, db_url, plan_data)
    as_database_owner(world, "DELETE FROM audit_event WHERE id >= :id", logged, rows=None)
    rewind_heads(world)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert "检查点 #1" in line


def test_the_audit_page_shows_the_disagreement(world: World, db_url: str, plan_data: dict[str, Any],
                                               login: Any) -> None:
    logged, _ = _history_with_checkpoint(world, db_url, plan_data)
    as_database_owner(world, "DELETE FROM audit_event WHERE id > :id", logged, rows=None)
    as_database_owner(world, "DELETE FROM audit_checkpoint WHERE id >= :id", 0, rows=None)
    rewind_heads(world)
    html = login("auditor").get("/audit/").get_data(as_text=True)
    assert "审计链与检查点不符" in html and "已从检查点表中删除" in html

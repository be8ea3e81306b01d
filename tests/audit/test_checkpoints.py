"""Checkpoints: an exported, signed head of the chain reveals a removed tail that the chain alone cannot (T-AUD-03);
``baguan audit harden-pg`` leaves the app role unable to change history (T-AUD-01)."""
from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine import journal as audit
from engine.audit import merkle
from engine.cases import operations as operations
from engine.db import make_engine, make_session_factory
from engine.journal import AuditEvent
from engine.runtime import schema as schema

from ..conftest import World, WorldTemplate
from ..security.helpers import assert_clean_failure, run_cli
from .helpers import as_database_owner, file_history, rewind_heads


def _checkpoint(db_url: str, path: Path) -> dict[str, Any]:
    result = run_cli(db_url, "audit", "checkpoint", "--output", str(path))
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text(encoding="utf-8"))
    assert json.loads(result.stdout) == document
    return document


def test_a_checkpoint_names_the_head_and_verifies(world: World, db_url: str, plan_data: dict[str, Any],
                                                  tmp_path: Path) -> None:
    ids = file_history(world, plan_data)
    document = _checkpoint(db_url, tmp_path / "cp.json")
    with world.sessions() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.id <= ids[-1]).order_by(AuditEvent.id)).all()
        ends = {e.chain: e for e in events}
        lengths = {chain: sum(e.chain == chain for e in events) for chain in ends}
        assert document["heads"] == [{"chain": chain, "length": lengths[chain], "event_id": ends[chain].id,
                                      "hash": ends[chain].hash} for chain in sorted(ends)]
        assert document["head_hash"] == merkle.root([merkle.leaf_hash(h) for h in document["heads"]])
        assert (document["version"], document["event_id"], document["event_count"]) == (2, ids[-1], len(ids))
        assert document["created_at"].endswith("Z") and len(document["signature"]) == 64
        assert session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == "audit.checkpoint"
    result = run_cli(db_url, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert result.exit_code == 0, result.output
    assert "签名有效" in result.stdout and "已存检查点 1 个" in result.stdout


def test_a_removed_tail_is_detected_by_the_exported_checkpoint(world: World, db_url: str,
                                                               plan_data: dict[str, Any], tmp_path: Path) -> None:
    ids = file_history(world, plan_data)
    _checkpoint(db_url, tmp_path / "cp.json")
    as_database_owner(world, "DELETE FROM audit_event WHERE id >= :id", ids[-2], rows=None)
    as_database_owner(world, "DELETE FROM audit_checkpoint WHERE id >= :id", 0, rows=None)
    rewind_heads(world)
    plain = run_cli(db_url, "audit", "verify")
    assert plain.exit_code == 0, "the chains alone cannot see a removed tail once the head rows are moved too"
    line = assert_clean_failure(run_cli(db_url, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json")))
    assert f"#{ids[-1]}" in line and "已不存在" in line


def test_a_removed_tail_is_detected_by_a_stored_checkpoint(world: World, db_url: str,
                                                           plan_data: dict[str, Any], tmp_path: Path) -> None:
    ids = file_history(world, plan_data)
    _checkpoint(db_url, tmp_path / "cp.json")
    as_database_owner(world, "DELETE FROM audit_event WHERE id >= :id", ids[-1], rows=None)
    rewind_heads(world)
    line = assert_clean_failure(run_cli(db_url, "audit", "verify"))
    assert "检查点 #1" in line and f"#{ids[-1]}" in line


def test_an_edited_row_fails_the_checkpoint_check(world: World, db_url: str, plan_data: dict[str, Any],
                                                  tmp_path: Path) -> None:
    ids = file_history(world, plan_data)
    _checkpoint(db_url, tmp_path / "cp.json")
    as_database_owner(world, "UPDATE audit_event SET actor_name = '他人' WHERE id = :id", ids[2])
    line = assert_clean_failure(run_cli(db_url, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json")))
    assert f"#{ids[2]}" in line and "内容哈希不匹配" in line


def test_a_forged_or_foreign_checkpoint_is_refused(world: World, db_url: str, plan_data: dict[str, Any],
                                                   tmp_path: Path) -> None:
    file_history(world, plan_data)
    document = _checkpoint(db_url, tmp_path / "cp.json")
    document["event_count"] += 1
    (tmp_path / "forged.json").write_text(json.dumps(document), encoding="utf-8")
    line = assert_clean_failure(run_cli(db_url, "audit", "verify", "--checkpoint", str(tmp_path / "forged.json")))
    assert "签名无效" in line
    other_key = run_cli(db_url, "audit", "verify", "--checkpoint", str(tmp_path / "cp.json"),
                        env={"BAGUAN_AUDIT_KEY": "another-key"})
    assert "签名无效" in assert_clean_failure(other_key)
    (tmp_path / "junk.json").write_text("{not json", encoding="utf-8")
    assert "JSON" in assert_clean_failure(run_cli(db_url, "audit", "verify", "--checkpoint",
                                                  str(tmp_path / "junk.json")))


def test_a_checkpoint_of_an_empty_chain_fails_cleanly(db_url: str, db_engine: Any) -> None:
    assert "审计链为空" in assert_clean_failure(run_cli(db_url, "audit", "checkpoint"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_harden_pg_on_sqlite_fails_cleanly(db_url: str, db_engine: Any) -> None:
    assert "PostgreSQL" in assert_clean_failure(run_cli(db_url, "audit", "harden-pg", "--app-role", "app"))


@pytest.fixture
def app_role(db_engine: Any) -> Iterator[str]:
    name = f"baguan_app_{uuid.uuid4().hex[:8]}"
    with db_engine.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{name}" NOLOGIN'))
    yield name
    with db_engine.begin() as connection:
        connection.execute(text(f'DROP OWNED BY "{name}"'))
        connection.execute(text(f'DROP ROLE "{name}"'))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_harden_pg_leaves_the_app_role_only_select_and_insert(world: World, db_url: str, app_role: str,
                                                              plan_data: dict[str, Any]) -> None:
    file_history(world, plan_data)
    result = run_cli(db_url, "audit", "harden-pg", "--app-role", app_role)
    assert result.exit_code == 0, result.output
    assert f"GRANT SELECT, INSERT ON audit_event TO \"{app_role}\"" in result.stdout
    for statement in ("UPDATE audit_event SET actor_name = 'x'", "DELETE FROM audit_event", "TRUNCATE audit_event",
                      "ALTER TABLE audit_event DISABLE TRIGGER USER", "DELETE FROM audit_checkpoint"):
        with world.sessions() as session, pytest.raises(DBAPIError) as refused:
            with session.begin():
                session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
                session.execute(text(statement))
        assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)
    with world.sessions() as session, session.begin():
        session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
        audit.record(session, "test.appended", actor_name="应用")
        assert session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "test.appended"
    with world.sessions() as session:
        assert audit.verify_chain(session).ok
    assert "角色名无效" in assert_clean_failure(run_cli(db_url, "audit", "harden-pg", "--app-role", "x; DROP"))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_table_a_later_migration_adds_is_usable_by_the_hardened_app_role(world: World, db_url: str,
                                                                          app_role: str) -> None:
    """An upgrade's new table (as 0016 added user_tally) must not refuse the app role every completion."""
    assert run_cli(db_url, "audit", "harden-pg", "--app-role", app_role).exit_code == 0
    with world.sessions() as session, session.begin():
        session.execute(text("CREATE TABLE later_tally (id SERIAL PRIMARY KEY, delta INTEGER NOT NULL)"))
    with world.sessions() as session, session.begin():
        session.execute(text(f'SET LOCAL ROLE "{app_role}"'))
        session.execute(text("INSERT INTO later_tally (delta) VALUES (1)"))
        session.execute(text("DELETE FROM later_tally"))
    again = run_cli(db_url, "audit", "harden-pg", "--app-role", app_role)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_an_app_role_hardened_before_the_user_tallies_can_file_after_the_upgrade(
        db_url: str, world_template: WorldTemplate, plan_data: dict[str, Any]) -> None:
    """Hardened at 0015 without default privileges (as before), then migrated to 0016: the app role still files."""
    engine = make_engine(db_url)
    role = f"baguan_app_{uuid.uuid4().hex[:8]}"
    try:
        schema.upgrade(engine)
        world_template.copy_into(engine)
        world = World(make_session_factory(engine), dict(world_template.org_ids), dict(world_template.user_ids))
        command.downgrade(schema.alembic_config(engine), "0015_notification_case_index")
        with engine.begin() as connection:
            connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        assert run_cli(db_url, "audit", "harden-pg", "--app-role", role).exit_code == 0
        with engine.begin() as connection:
            here = connection.execute(text("SELECT current_schema()")).scalar_one()
            for kind in ("TABLES", "SEQUENCES"):
                revoke = f'ALTER DEFAULT PRIVILEGES IN SCHEMA "{here}" REVOKE ALL ON {kind} FROM "{role}"'
                connection.execute(text(revoke))
        schema.upgrade(engine)
        with world.sessions() as session, session.begin():
            session.execute(text(f'SET LOCAL ROLE "{role}"'))
            operations.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                  "升级后的计划", dict(plan_data))
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        engine.dispose()

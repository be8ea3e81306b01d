"""Upgrading a database written with the single chain (migration 0013, issue 13): its events become the frozen
``legacy`` chain and still verify, its old checkpoints still check, and new events go to per-society chains."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

import pytest
from alembic import command
from sqlalchemy import JSON, Integer, String, column, insert, select, table
from sqlalchemy.engine import Engine

from engine import journal as audit
from engine.audit import checkpoints
from engine.db import make_engine, make_session_factory
from engine.journal import AuditChainHead, AuditEvent
from engine.runtime.schema import alembic_config

OLD_EVENTS = table("audit_event", column("occurred_at"), column("action", String),
                   column("actor_id", Integer), column("actor_name", String), column("org_id", Integer),
                   column("case_id", Integer), column("detail", JSON), column("prev_hash", String),
                   column("hash", String))
OLD_CHECKPOINTS = table("audit_checkpoint", column("event_id", Integer),
                        column("event_count", Integer), column("head_hash", String), column("created_at"))


@pytest.fixture
def before_chains(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0012_start_draft_files")
    yield engine
    engine.dispose()


def _old_history(engine: Engine) -> list[str]:
    """Three events of one society, a checkpoint and its event, linked as the single chain did; their hashes."""
    prev, rows = audit.GENESIS_HASH, []
    details = [("case.started", 7, {}), ("task.completed", 7, {"decision": "approve"}), ("login.failed", None, {})]
    for number, (action, org_id, detail) in enumerate(details, start=1):
        event = AuditEvent(occurred_at=datetime(2026, 11, 1, 8, number), action=action, actor_id=None,
                           actor_name="系统", org_id=org_id, case_id=None, detail=detail)
        event.prev_hash, event.hash = prev, audit.chain_hash(prev, event)
        rows.append(event)
        prev = event.hash
    logged = AuditEvent(occurred_at=datetime(2026, 11, 1, 9), action="audit.checkpoint", actor_id=None,
                        actor_name="系统", org_id=None, case_id=None,
                        detail={"checkpoint_id": 1, "event_id": 3, "head_hash": prev})
    logged.prev_hash, logged.hash = prev, audit.chain_hash(prev, logged)
    rows.append(logged)
    with engine.begin() as connection:
        connection.execute(insert(OLD_EVENTS), [
            {"occurred_at": e.occurred_at, "action": e.action, "actor_id": None, "actor_name": e.actor_name,
             "org_id": e.org_id, "case_id": None, "detail": e.detail, "prev_hash": e.prev_hash, "hash": e.hash}
            for e in rows])
        connection.execute(insert(OLD_CHECKPOINTS).values(event_id=3, event_count=3, head_hash=rows[2].hash,
                                                          created_at=datetime(2026, 11, 1, 9)))
    return [e.hash for e in rows]


def test_the_old_chain_becomes_the_legacy_chain_and_new_events_get_their_own(before_chains: Engine) -> None:
    hashes = _old_history(before_chains)
    command.upgrade(alembic_config(before_chains), "heads")
    sessions = make_session_factory(before_chains)
    with sessions() as session:
        assert set(session.scalars(select(AuditEvent.chain))) == {audit.LEGACY_CHAIN}
        head = session.get(AuditChainHead, audit.LEGACY_CHAIN)
        assert head is not None and (head.length, head.head_hash) == (4, hashes[-1])
        assert checkpoints.chain_status(session).ok
    with sessions() as session, session.begin():
        audit.record(session, "test.society", actor_name="测试", org_id=7)
        audit.record(session, "test.system", actor_name="测试")
    with sessions() as session, session.begin():
        checkpoints.create_checkpoint(session)
    with sessions() as session:
        new = session.scalars(select(AuditEvent).where(AuditEvent.id > 4).order_by(AuditEvent.id)).all()
        assert [(e.chain, e.prev_hash) for e in new[:2]] == [("org-7", audit.GENESIS_HASH),
                                                             ("system", audit.GENESIS_HASH)]
        status = checkpoints.chain_status(session)
        assert status.ok and status.checkpoints == 2 and status.result.count == 7
        latest = checkpoints.latest_checkpoint(session)
        assert latest is not None and latest.heads is not None
        assert [h["chain"] for h in latest.heads] == ["legacy", "org-7", "system"]


def test_an_event_added_to_the_frozen_legacy_chain_is_named(before_chains: Engine) -> None:
    hashes = _old_history(before_chains)
    command.upgrade(alembic_config(before_chains), "heads")
    sessions = make_session_factory(before_chains)
    with sessions() as session, session.begin():
        audit.record(session, "test.society", actor_name="测试", org_id=7)
    forged = AuditEvent(occurred_at=datetime(2026, 11, 2), action="task.completed", actor_id=None, actor_name="伪造",
                        org_id=7, case_id=None, detail={}, chain=audit.LEGACY_CHAIN, prev_hash=hashes[-1])
    forged.hash = audit.chain_hash(hashes[-1], forged)
    with sessions() as session, session.begin():
        session.add(forged)
        session.get_one(AuditChainHead, audit.LEGACY_CHAIN).length += 1
        session.get_one(AuditChainHead, audit.LEGACY_CHAIN).head_hash = forged.hash
    with sessions() as session:
        result = audit.verify_chain(session)
        assert [(p.chain, p.event_id) for p in result.problems] == [(audit.LEGACY_CHAIN, forged.id)]
        assert "旧链已冻结" in result.reason

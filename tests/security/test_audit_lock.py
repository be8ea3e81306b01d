"""No request holds the audit-chain lock across engine work (issue 11.4): events are queued during the operation and
appended just before the commit, so one society's slow, uncommitted operation no longer blocks another's writes."""
from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select, text

from engine import journal as audit
from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.runtime.models import Case

from ..conftest import World


def head_and_count(world: World) -> tuple[str | None, int]:
    with world.sessions() as session:
        return (session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)),
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_an_open_transaction_does_not_touch_the_chain_until_it_commits(world: World, plan_data: dict[str, Any],
                                                                       db_url: str) -> None:
    before = head_and_count(world)
    with world.sessions() as session:
        with session.begin():
            case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                    "年度计划", plan_data)
            assert session.scalar(text("SELECT count(*) FROM audit_event")) == before[1]
            if db_url.startswith("postgresql"):
                assert head_and_count(world) == before
                held = session.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                           "AND pid = pg_backend_pid()"))
                assert held == 0
        case_id = case.id
    with world.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                  .order_by(AuditEvent.id)).all()
        assert actions[:2] == ["case.started", "task.completed"]
        assert audit.verify_chain(session).ok
    assert head_and_count(world)[1] == before[1] + len(actions)


def test_a_transaction_sees_its_own_queued_events(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "年度计划", plan_data)
        seen = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
        assert seen[:2] == ["case.started", "task.completed"]


def test_a_rolled_back_transaction_or_savepoint_leaves_no_event(world: World) -> None:
    before = head_and_count(world)
    with world.sessions() as session:
        with session.begin():
            audit.record(session, "test.kept", actor_name="测试")
            savepoint = session.begin_nested()
            audit.record(session, "test.dropped_with_savepoint", actor_name="测试")
            savepoint.rollback()
        session.begin()
        audit.record(session, "test.dropped_with_transaction", actor_name="测试")
        session.rollback()
    with world.sessions() as session:
        new = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(3)).all()
        assert new[0] == "test.kept" and "test.dropped_with_savepoint" not in new
        assert audit.verify_chain(session).ok
    assert head_and_count(world)[1] == before[1] + 1


def test_another_society_writes_while_one_audited_operation_is_uncommitted(world: World, plan_data: dict[str, Any],
                                                                           db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time (BEGIN IMMEDIATE): there is nothing to overlap")
    done: list[int] = []
    errors: list[BaseException] = []

    def other_society() -> None:
        try:
            with world.sessions() as session, session.begin():
                done.append(cases.start_case(session, world.user(session, "yh_staff"), "annual_plan",
                                             world.org(session, "YH"), "另一学会的计划", plan_data).id)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    slow = world.sessions()
    slow.begin()
    thread = threading.Thread(target=other_society)
    try:
        first = cases.start_case(slow, world.user(slow, "xh_staff"), "annual_plan", world.org(slow, "XH"),
                                 "年度计划", plan_data)
        thread.start()
        thread.join(timeout=5)
        assert not thread.is_alive(), "另一学会的写入被未提交的审计事务阻塞"
        assert errors == [] and len(done) == 1
        slow.commit()
    finally:
        if slow.in_transaction():
            slow.rollback()
        thread.join(timeout=60)
        slow.close()
    with world.sessions() as session:
        assert audit.verify_chain(session).ok
        first_ids = session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == first.id)).all()
        other_ids = session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == done[0])).all()
        assert max(other_ids) < min(first_ids)
        assert {c.status for c in session.scalars(select(Case))} == {"running"}

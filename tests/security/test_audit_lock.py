"""No request holds an audit-chain lock across engine work (issue 11.4): events are queued during the operation and
appended just before the commit. Each society has its own chain and head row (issue 13), so a society holding its
chain lock blocks only writes of that same society, and parallel writers never fork a chain."""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pytest
from sqlalchemy import func, select, text

from engine import journal as audit
from engine.cases import operations as cases
from engine.journal import AuditChainHead, AuditEvent
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


def _in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test's assertions
            errors.append(exc)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _file(world: World, plan: dict[str, Any], society: str, done: list[int]) -> Callable[[], None]:
    def work() -> None:
        with world.sessions() as session, session.begin():
            done.append(cases.start_case(session, world.user(session, f"{society.lower()}_staff"), "annual_plan",
                                         world.org(session, society), f"{society} 的计划", dict(plan)).id)
    return work


def _waiting_on_a_chain_head(world: World) -> bool:
    with world.sessions() as session:
        return bool(session.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                         "AND query LIKE '%audit_chain_head%'")))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_held_chain_lock_blocks_only_its_own_society(world: World, plan_data: dict[str, Any]) -> None:
    """Society A has appended (its head row locked) but not committed: B's audited write commits at once, A's
    second write waits on A's head row until A commits, then appends after it."""
    holder = world.sessions()
    holder.begin()
    errors: list[BaseException] = []
    other, same = [], []
    try:
        audit.record(holder, "test.holding", actor_name="测试", org_id=world.org_ids["XH"])
        audit.append_pending(holder)
        b = _in_thread(_file(world, plan_data, "YH", other), errors)
        b.join(timeout=30)
        assert not b.is_alive() and errors == [] and len(other) == 1, "另一学会的写入被本学会的链锁阻塞"
        a = _in_thread(_file(world, plan_data, "XH", same), errors)
        deadline = time.monotonic() + 30
        while not _waiting_on_a_chain_head(world) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _waiting_on_a_chain_head(world) and a.is_alive(), "同一学会的写入应等待链锁"
        holder.commit()
        a.join(timeout=30)
        assert not a.is_alive() and errors == [] and len(same) == 1
    finally:
        if holder.in_transaction():
            holder.rollback()
        holder.close()
    with world.sessions() as session:
        assert audit.verify_chain(session).ok
        held = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.holding"))
        assert held is not None
        assert min(session.scalars(select(AuditEvent.id).where(AuditEvent.case_id == same[0]))) > held


def test_parallel_writers_of_one_society_never_fork_its_chain(world: World) -> None:
    """Eight writers, five commits each, on an existing chain and on one that does not exist yet (its head row is
    created by whichever writer comes first)."""
    societies, writers, commits = (world.org_ids["XH"], 987654), 8, 5
    start, errors = threading.Barrier(writers), []

    def write(org_id: int) -> Callable[[], None]:
        def work() -> None:
            start.wait(timeout=30)
            for number in range(commits):
                with world.sessions() as session, session.begin():
                    audit.record(session, "test.parallel", actor_name="测试", org_id=org_id, number=number)
        return work

    threads = [_in_thread(write(societies[i % 2]), errors) for i in range(writers)]
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    with world.sessions() as session:
        assert audit.verify_chain(session).ok
        for org_id in societies:
            chain = audit.chain_key(org_id)
            links = session.scalars(select(AuditEvent.prev_hash).where(AuditEvent.chain == chain)).all()
            assert len(links) == len(set(links)), f"链 {chain} 分叉"
            head = session.get(AuditChainHead, chain)
            assert head is not None and head.length == len(links)
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "test.parallel")) == writers * commits

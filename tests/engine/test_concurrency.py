"""Races on both databases (T-CONC-01/08): two reviewers complete one task at the same moment, and two
staff members file the first cases of a year together. The interleaving is forced, not hoped for: the
first transaction to reach COMMIT is held open until the other one is provably inside the database,
waiting for the lock the first holds."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import journal as audit
from engine.cases import operations as cases
from engine.errors import Conflict
from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import ready_human_tasks

from ..conftest import World, add_test_user
from ..review_checks import SG_CHECKS

WAIT_SECONDS = 15


@dataclass
class ForcedOverlap:
    """Holds the first committer until the other thread has sent its locking statement and is blocked;
    ``overlaps`` proves afterwards that the race really happened."""

    engine: Engine
    sessions: sessionmaker[Session]
    is_locking: Callable[[str], bool]
    lockers: dict[int, Any] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)
    signalled: threading.Condition = field(default_factory=threading.Condition)
    held: bool = False
    overlaps: int = 0

    def __enter__(self) -> "ForcedOverlap":
        event.listen(self.engine, "before_cursor_execute", self._on_statement)
        event.listen(self.engine, "after_cursor_execute", self._after_statement)
        event.listen(self.sessions, "before_commit", self._before_commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_statement)
        event.remove(self.engine, "after_cursor_execute", self._after_statement)
        event.remove(self.sessions, "before_commit", self._before_commit)

    def _on_statement(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.is_locking(statement):
            with self.signalled:
                self.lockers[threading.get_ident()] = getattr(conn.connection.dbapi_connection, "info", None)
                self.signalled.notify_all()

    def _after_statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.is_locking(statement):
            with self.signalled:
                self.locked.add(threading.get_ident())

    def _before_commit(self, _session: Session) -> None:
        me = threading.get_ident()
        with self.signalled:
            if self.held:
                return
            self.held = True
            other = self.signalled.wait_for(lambda: any(k != me for k in self.lockers), timeout=WAIT_SECONDS)
            info = next((v for k, v in self.lockers.items() if k != me), None)
        if other and self._other_is_blocked(me, info):
            self.overlaps += 1

    def _other_is_blocked(self, me: int, info: Any) -> bool:
        if self.engine.dialect.name != "postgresql":
            time.sleep(0.3)  # the other BEGIN IMMEDIATE has been sent; it must still be waiting for our lock
            with self.signalled:
                return not any(k != me for k in self.locked)
        with self.engine.connect() as probe:
            for _ in range(WAIT_SECONDS * 20):
                waiting = probe.execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                                        {"pid": info.backend_pid}).scalar()
                if waiting == "Lock":
                    return True
                probe.rollback()
                time.sleep(0.05)
        return False


def sqlite_or(pg_marker: str) -> Callable[[Engine], Callable[[str], bool]]:
    def for_engine(engine: Engine) -> Callable[[str], bool]:
        if engine.dialect.name == "sqlite":
            return lambda statement: statement.strip().upper() == "BEGIN IMMEDIATE"
        return lambda statement: pg_marker in statement.upper()
    return for_engine


def run_together(workers: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    """Start every worker after a barrier; return each one's result or the exception it raised."""
    barrier = threading.Barrier(len(workers), timeout=WAIT_SECONDS)
    outcomes: dict[str, Any] = {}

    def run(name: str, work: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            outcomes[name] = work()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever happened
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=item, daemon=True) for item in workers.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT_SECONDS * 3)
    assert not any(t.is_alive() for t in threads), "a worker hung: deadlock or lost wake-up"
    return outcomes


def _engine_of(world: World) -> Engine:
    engine = world.sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def _start(world: World, plan: dict[str, Any], username: str = "xh_staff") -> Case:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, username), "annual_plan", world.org(session, "XH"),
                                "2027 年度工作计划", plan)


def _approver(world: World, username: str, task_id: int) -> Callable[[], str]:
    def approve() -> str:
        with world.sessions() as session, session.begin():
            cases.complete_task(session, world.user(session, username), task_id, "approve", f"{username} 同意",
                                SG_CHECKS)
        return username
    return approve


def test_two_reviewers_complete_the_same_task_exactly_one_wins(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        world.user_ids["xh_sg2"] = add_test_user(session, "xh_sg2", [("secretary_general", world.org_ids["XH"])]).id
    case_id = _start(world, plan_data).id
    with world.sessions() as session:
        [task_id] = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                               HumanTask.status == "open")).all()
    engine = _engine_of(world)
    with ForcedOverlap(engine, world.sessions, sqlite_or("FOR UPDATE")(engine)) as overlap:
        outcomes = run_together({name: _approver(world, name, task_id) for name in ("xh_sg", "xh_sg2")})
    assert overlap.overlaps == 1, "the two completions did not overlap inside the database"
    winners = [name for name, outcome in outcomes.items() if outcome == name]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    _assert_one_completion(world, case_id, task_id, winners[0])


def _assert_one_completion(world: World, case_id: int, task_id: int, winner: str) -> None:
    with world.sessions() as session:
        rows = list(session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id)))
        assert [(r.bpmn_id, r.status) for r in rows] == [
            ("draft", "completed"), ("sg_review", "completed"), ("finance_check", "open")]
        assert rows[1].id == task_id and rows[1].completed_by == world.user_ids[winner]
        assert rows[1].comment == f"{winner} 同意"
        case = session.get(Case, case_id)
        workflow = cases.load_workflow(case)
        assert [t.task_spec.bpmn_id for t in ready_human_tasks(workflow)] == ["finance_check"]
        assert rows[2].spiff_task_id == str(ready_human_tasks(workflow)[0].id)
        completed = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id == "sg_review"]
        assert len(completed) == 1
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed",
                                                          AuditEvent.case_id == case_id)).all()
        assert sorted(e.detail["task_id"] for e in events).count(task_id) == 1
        assert [e.actor_id for e in events if e.detail["task_id"] == task_id] == [world.user_ids[winner]]
        assert audit.verify_chain(session).ok


def test_the_loser_gets_a_clear_conflict_and_can_see_the_new_state(world: World, plan_data: dict[str, Any]) -> None:
    """Sequential double completion (the same reviewer clicking twice) is the same clear conflict."""
    case_id = _start(world, plan_data).id
    with world.sessions() as session:
        [task_id] = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                               HumanTask.status == "open")).all()
    assert _approver(world, "xh_sg", task_id)() == "xh_sg"
    outcome = run_together({"again": _approver(world, "xh_sg", task_id)})["again"]
    assert isinstance(outcome, Conflict)
    assert "已被处理" in outcome.message or "不在待办" in outcome.message
    _assert_one_completion(world, case_id, task_id, "xh_sg")


def test_concurrent_starts_get_unique_consecutive_case_numbers(world: World, plan_data: dict[str, Any]) -> None:
    """The very first cases of a year race to create the society's counter row."""
    with world.sessions() as session, session.begin():
        world.user_ids["xh_staff2"] = add_test_user(session, "xh_staff2", [("staff", world.org_ids["XH"])]).id
    engine = _engine_of(world)
    with ForcedOverlap(engine, world.sessions, sqlite_or("COUNTER")(engine)) as overlap:
        outcomes = run_together({name: (lambda n=name: _start(world, plan_data, n).number)
                                 for name in ("xh_staff", "xh_staff2")})
    assert overlap.overlaps == 1, "the two starts did not overlap inside the database"
    numbers = sorted(outcomes.values())
    assert all(isinstance(n, str) for n in numbers), outcomes
    year = numbers[0].split("-")[1]
    assert numbers == [f"XH-{year}-JH-0001", f"XH-{year}-JH-0002"]
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 2
        assert session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")) == 2
        assert audit.verify_chain(session).ok


def test_many_concurrent_starts_never_duplicate_a_number(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        for index in range(4):
            world.user_ids[f"s{index}"] = add_test_user(session, f"s{index}", [("staff", world.org_ids["XH"])]).id
    outcomes = run_together({f"s{i}": (lambda n=f"s{i}": _start(world, plan_data, n).number) for i in range(4)})
    assert all(isinstance(n, str) for n in outcomes.values()), outcomes
    assert len(set(outcomes.values())) == 4
    with world.sessions() as session:
        result = audit.verify_chain(session)
        assert result.ok and result.count == session.scalar(select(func.count()).select_from(AuditEvent))

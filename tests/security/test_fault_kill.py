"""Fault test (issue 11): two web servers and two timer workers share one PostgreSQL schema under a load of
filings and approvals, with every timer due at once; one server and one worker are killed with SIGKILL mid-run
and every database connection of the schema is dropped once. Afterwards the audit chain verifies, every running
case has an open task for each READY step, no completion is doubled or lost, and every timer fired at most once.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
import urllib.error
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engine.cases import operations
from engine.db import make_engine, make_session_factory
from engine.identity import accounts as identity
from engine.identity.models import User
from engine.journal import AuditEvent
from engine.library.models import Timer
from engine.runtime.cycle import read_workflow
from engine.runtime.models import Case, HumanTask
from engine.runtime.projection import ready_human_tasks
from webapp.api import render
from webapp.demo import PLAN, STEP_ACTORS
from webapp.extensions import db_session

from ..conftest import World
from ..ops.processes import BAGUAN, api, baguan, baguan_env, free_port, stop, wait_for

pytestmark = pytest.mark.pg

SOCIETIES = ("JX", "DZ")
CASES_PER_THREAD = 3
THREADS = 4
LOAD_SECONDS = 60.0
TIMER_EVENTS = ("task.reminded", "task.escalated")


@dataclass
class Ledger:
    """What the load threads saw: every 200 completion, and every request whose outcome is unknown."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    completed: list[tuple[int, str]] = field(default_factory=list)
    lost_replies: int = 0
    conflicts: int = 0
    unavailable: int = 0
    unexpected: list[str] = field(default_factory=list)
    case_ids: list[int] = field(default_factory=list)


@dataclass
class Cluster:
    """The two web servers (``bases``) and which of them are still alive."""

    bases: list[str]
    alive: list[bool]
    tokens: dict[str, str]

    def pick(self) -> str:
        return random.choice([b for b, up in zip(self.bases, self.alive) if up])


@pytest.fixture
def pg_url(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        pytest.skip("fault test needs PostgreSQL: several processes share one database (row locks, SKIP LOCKED); "
                    "SQLite has one writer and no connections to drop")
    return db_url


def _app_name(url: str) -> str:
    schema = url.rsplit("search_path%3D", 1)[1]
    return f"fault_{schema}"[:60]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([str(BAGUAN), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _sigkill(process: subprocess.Popen[str]) -> None:
    """Kill a process we started and its children (gunicorn's worker) at once, like a host losing power."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            stop(process)


def _call(cluster: Cluster, ledger: Ledger, user: str, method: str, path: str,
          body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """Call a live server; a dropped connection (its server killed) is an unknown outcome: retry elsewhere."""
    for _attempt in range(20):
        base = cluster.pick()
        try:
            return api(base, cluster.tokens[user], method, path, body)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            with ledger.lock:
                ledger.lost_replies += 1
            time.sleep(0.3)
    raise AssertionError(f"{method} {path}: no server answered")


def _actor(step: str, org: str) -> tuple[str, dict[str, Any]]:
    who, data = STEP_ACTORS[step]
    return (who if who == "cast" else f"{org.lower()}_{who}"), dict(data)


def _drive(cluster: Cluster, ledger: Ledger, number: int, deadline: float) -> None:
    """File plans and approve each step until the case finishes (by a person or by a timer)."""
    for index in range(CASES_PER_THREAD):
        org = SOCIETIES[(number + index) % 2]
        status = 503
        while status == 503 and time.monotonic() < deadline:
            status, case = _call(cluster, ledger, f"{org.lower()}_staff", "POST", "/cases",
                                 {"process": "annual_plan", "org": org, "title": f"故障测试计划 {number}-{index}",
                                  "data": dict(PLAN)})
        if status != 201:
            with ledger.lock:
                ledger.unexpected.append(f"POST /cases {status} {case}")
            continue
        with ledger.lock:
            ledger.case_ids.append(case["id"])
        while time.monotonic() < deadline:
            status, seen = _call(cluster, ledger, f"{org.lower()}_staff", "GET", f"/cases/{case['id']}")
            if status == 503:
                continue
            if status != 200:
                with ledger.lock:
                    ledger.unexpected.append(f"GET /cases {status} {seen}")
                break
            case = seen
            open_tasks = [t for t in case["tasks"] if t["status"] == "open"]
            if case["status"] != "running" or not open_tasks:
                break
            task = open_tasks[0]
            user, data = _actor(task["step"], org)
            status, body = _call(cluster, ledger, user, "POST", f"/tasks/{task['id']}/complete",
                                 {"decision": "approve", "comment": "同意", "data": data})
            with ledger.lock:
                if status == 200:
                    ledger.completed.append((task["id"], user))
                elif status == 409:
                    ledger.conflicts += 1
                elif status == 503 and body["error"]["code"] == "database_unavailable":
                    ledger.unavailable += 1
                else:
                    ledger.unexpected.append(f"complete {task['step']} {status} {body}")


def _push_timers_due(engine: Engine, stop_event: threading.Event) -> None:
    """Make every pending timer due now, as soon as its step opens."""
    while not stop_event.wait(0.3):
        try:
            with engine.begin() as connection:
                connection.execute(text("UPDATE timer SET due_at = '2000-01-01' "
                                        "WHERE status = 'pending' AND due_at > '2000-01-01'"))
        except Exception:  # noqa: BLE001 - the test's own connection may be dropped with the others
            continue


def _drop_connections(engine: Engine, app_name: str) -> int:
    with engine.begin() as connection:
        return len(connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                           "WHERE application_name = :name"), {"name": app_name}).all())


def test_killing_a_web_and_a_timer_worker_mid_run_loses_and_doubles_nothing(
        pg_url: str, tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    app_name = _app_name(pg_url)
    shared_url = f"{pg_url}&application_name={app_name}"
    env = baguan_env(shared_url, tmp_path)
    for command in (["init-db"], ["deploy"], ["seed-demo"]):
        done = baguan(env, *command)
        assert done.returncode == 0, done.stdout + done.stderr
    engine = make_engine(pg_url)
    sessions = make_session_factory(engine)
    users = [f"{org.lower()}_{who}" for org in SOCIETIES for who in ("staff", "sg", "finance", "party", "president")]
    with sessions() as session, session.begin():
        tokens = {u: identity.create_token(session, u) for u in [*users, "cast"]}

    ports = [free_port(), free_port()]
    servers = [_start(["serve"], {**env, "BAGUAN_PORT": str(p)}) for p in ports]
    workers = [_start(["worker", "--interval", "0.2"], env) for _ in range(2)]
    processes.extend([*servers, *workers])
    cluster = Cluster([f"http://127.0.0.1:{p}" for p in ports], [True, True], tokens)
    for base in cluster.bases:
        assert wait_for(base + "/readyz", seconds=60) in (200, 503)

    ledger, stop_pushing = Ledger(), threading.Event()
    deadline = time.monotonic() + LOAD_SECONDS
    pusher = threading.Thread(target=_push_timers_due, args=(engine, stop_pushing), daemon=True)
    threads = [threading.Thread(target=_drive, args=(cluster, ledger, n, deadline), daemon=True)
               for n in range(THREADS)]
    pusher.start()
    for thread in threads:
        thread.start()
    while len(ledger.completed) < 12 and time.monotonic() < deadline:
        time.sleep(0.1)
    cluster.alive[0] = False
    _sigkill(servers[0])
    _sigkill(workers[0])
    assert _drop_connections(engine, app_name) > 0
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0) + 30)
    assert not any(t.is_alive() for t in threads), "the load did not finish"
    _wait_for_timers(sessions, seconds=20)
    stop_pushing.set()
    pusher.join(timeout=5)

    assert ledger.unexpected == [], stop(servers[1])[-5000:]
    assert len(ledger.case_ids) == THREADS * CASES_PER_THREAD
    verify = baguan(env, "audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    with sessions() as session:
        _assert_open_tasks_match(session, cluster)
        _assert_completions_once(session, ledger)
        _assert_timers_fired_once(session)
    outputs = [stop(p) for p in (servers[1], workers[1])]
    engine.dispose()
    assert all("Traceback" not in o for o in outputs), outputs


def _wait_for_timers(sessions: Any, seconds: float) -> None:
    """The surviving worker fires (or cancels) every timer left, the killed worker's claims included."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with sessions() as session:
            if session.scalar(select(Timer.id).where(Timer.status == "pending").limit(1)) is None:
                return
        time.sleep(0.3)
    raise AssertionError("timers were left unfired")


def _assert_open_tasks_match(session: Session, cluster: Cluster) -> None:
    running = session.scalars(select(Case).where(Case.status == "running").order_by(Case.id)).all()
    assert running, "some cases are still running (demo cases at least)"
    for case in running:
        ready = {str(t.id) for t in ready_human_tasks(read_workflow(case))}
        rows = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                       HumanTask.status == "open")).all()
        assert ready and {r.spiff_task_id for r in rows} == ready and len(rows) == len(ready), case.id
        status, seen = api(cluster.bases[1], cluster.tokens["cast"], "GET", f"/cases/{case.id}")
        assert status == 200, seen
        assert sorted(t["id"] for t in seen["tasks"] if t["status"] == "open") == sorted(r.id for r in rows)


def _assert_completions_once(session: Session, ledger: Ledger) -> None:
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "task.completed")).all()
    per_task = Counter(e.detail.get("task_id") for e in events)
    assert [t for t, n in per_task.items() if n > 1] == [], "a task was completed twice"
    completed_rows = session.scalars(select(HumanTask).where(HumanTask.status == "completed")).all()
    assert {r.id for r in completed_rows} == set(per_task), "completed rows and completion events differ"
    answered = Counter(task_id for task_id, _user in ledger.completed)
    assert [t for t, n in answered.items() if n > 1] == [], "two requests were told they completed one task"
    user_ids = dict(session.execute(select(User.username, User.id)).tuples().all())
    rows = {r.id: r for r in completed_rows}
    for task_id, username in ledger.completed:
        assert task_id in rows, f"task {task_id} was answered 200 but is not completed"
        assert rows[task_id].completed_by == user_ids[username]
    finished = Counter(e.case_id for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "case.completed")))
    assert [c for c, n in finished.items() if n > 1] == []


def _assert_timers_fired_once(session: Session) -> None:
    timers = session.scalars(select(Timer)).all()
    assert any(t.status == "fired" for t in timers), "no timer fired during the run"
    assert [t.id for t in timers if t.status in ("fired", "cancelled") and t.fired_at is None] == []
    assert [t.id for t in timers if t.status in ("failed", "parked")] == [], [t.last_error for t in timers][:3]
    kinds = Counter((t.task_id, t.kind) for t in timers)
    assert [k for k, n in kinds.items() if n > 1] == [], "a step was given two timers of one kind"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(TIMER_EVENTS))).all()
    per_timer = Counter((e.action, e.detail.get("task_id")) for e in events)
    assert [k for k, n in per_timer.items() if n > 1] == [], "a timer fired twice"
    fired = Counter(("task.reminded" if t.kind == "remind" else "task.escalated", t.task_id)
                    for t in timers if t.status == "fired" and t.kind in ("remind", "escalate"))
    assert fired == per_timer


def test_a_connection_dropped_mid_request_is_a_503_in_chinese_and_saves_nothing(
        world: World, client: FlaskClient, tokens: Callable[[str], dict[str, str]],
        login: Callable[[str], FlaskClient], monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_terminate_backend (or a database restart) during a request: a clean 503 to retry, not a 500."""
    with world.sessions() as session, session.begin():
        case = operations.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "断线测试", dict(PLAN))
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    dropped = OperationalError("SELECT 1", {}, Exception("terminating connection due to administrator command"))
    real_lock = operations.lock_case_of_task

    def lock_then_drop(session: Session, task_id: int) -> Case | None:
        real_lock(session, task_id)
        raise dropped
    monkeypatch.setattr(operations, "lock_case_of_task", lock_then_drop)
    response = client.post(f"/api/v1/tasks/{task_id}/complete", headers=tokens("xh_sg"),
                           json={"decision": "approve", "comment": "同意", "data": {}})
    assert response.status_code == 503
    assert response.get_json()["error"] == {"code": "database_unavailable",
                                            "message": "数据库连接暂时中断，本次操作未保存，请稍后重试"}
    page = login("xh_sg").post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意"})
    assert page.status_code == 503 and "数据库连接暂时中断，本次操作未保存" in page.get_data(as_text=True)
    page = client.get(f"/api/v1/cases/{case.id}", headers=tokens("xh_sg"))
    assert page.status_code == 200
    assert [(t["step"], t["status"]) for t in page.get_json()["tasks"]][-1] == ("sg_review", "open")


def test_a_connection_dropped_after_the_answer_was_built_still_answers(
        pg_url: str, world: World, client: FlaskClient, tokens: Callable[[str], dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The database drops the request's connection after its last statement: the teardown's rollback finds it
    gone. The answer was built and nothing was left to save, so the reader gets it, not gunicorn's bare 500 page."""
    with world.sessions() as session, session.begin():
        case = operations.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                     "断线后回答", dict(PLAN))
    admin = make_engine(pg_url)
    real_detail = render.case_detail

    def detail_then_drop(*args: Any) -> dict[str, Any]:
        answer = real_detail(*args)
        backend = db_session().execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        return answer
    monkeypatch.setattr(render, "case_detail", detail_then_drop)
    try:
        response = client.get(f"/api/v1/cases/{case.id}", headers=tokens("xh_sg"))
    finally:
        admin.dispose()
    assert response.status_code == 200 and response.get_json()["id"] == case.id
    monkeypatch.undo()
    assert client.get(f"/api/v1/cases/{case.id}", headers=tokens("xh_sg")).status_code == 200

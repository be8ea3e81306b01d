"""Starting up safely and running several instances: ``baguan serve`` refuses a broken database or a busy port
with one line, probes for a load balancer, no shared gunicorn control socket, ``make run`` stops on TERM,
and two web servers plus a worker share one PostgreSQL schema."""
from __future__ import annotations

import signal
import socket
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select, text

from engine.db import make_engine, utcnow
from engine.identity.models import LoginAttempt
from webapp import create_app

from ..conftest import (
    ANNUAL_PLAN,
    PG_PROBLEM,
    PG_URL,
    PROJECT_ROOT,
    World,
    pg_schema_url,
)
from ..security.helpers import assert_clean_failure, run_cli
from .processes import (
    Browser,
    api,
    baguan,
    baguan_env,
    free_port,
    port_closed,
    stop,
    wait_for,
    wait_until_ready,
)

DEMO_PASSWORD = "baguan-demo-2026"


@pytest.fixture
def migrated(db_url: str) -> str:
    assert run_cli(db_url, "init-db").exit_code == 0
    return db_url


def _execute(url: str, *statements: str, **params: object) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)
    engine.dispose()


# --- start-up checks ------------------------------------------------------------------------------------------

def test_serve_refuses_an_unreachable_database_with_one_line() -> None:
    result = run_cli("postgresql://nobody@127.0.0.1:1/none", "serve", env={"BAGUAN_PORT": str(free_port())})
    line = assert_clean_failure(result)
    assert line.startswith("错误：数据库无法连接：") and "提供服务" not in result.output


def test_serve_refuses_a_database_that_was_never_initialised(db_url: str) -> None:
    line = assert_clean_failure(run_cli(db_url, "serve", env={"BAGUAN_PORT": str(free_port())}))
    assert line == "错误：数据库尚未初始化，请先运行 baguan init-db"


def test_serve_refuses_a_database_behind_the_migration_head(migrated: str) -> None:
    _execute(migrated, "UPDATE alembic_version SET version_num = '0006_merge'")
    line = assert_clean_failure(run_cli(migrated, "serve", env={"BAGUAN_PORT": str(free_port())}))
    assert line == "错误：数据库迁移版本为 0006_merge，程序需要 0016_user_tallies，请先运行 baguan init-db"


def test_serve_refuses_a_busy_port_with_one_line(migrated: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = assert_clean_failure(run_cli(migrated, "serve", env={"BAGUAN_PORT": str(port)}))
    assert line == f"错误：端口 {port} 已被占用（127.0.0.1:{port}），请停止占用它的进程或换一个 BAGUAN_PORT"


# --- probes -------------------------------------------------------------------------------------------------------

def _probe(url: str, path: str) -> tuple[int, dict[str, object]]:
    app = create_app({"DATABASE_URL": url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789"},
                     environ={"BAGUAN_ENV": "testing"})
    response = app.test_client().get(path)
    app.extensions["baguan_db"].engine.dispose()
    return response.status_code, response.get_json()


BEAT = "INSERT INTO worker_heartbeat (name, host, pid, last_seen) VALUES ('w1', 'h', 1, :at)"


def test_healthz_and_readyz_on_a_current_database(migrated: str) -> None:
    _execute(migrated, BEAT, at=utcnow())
    assert _probe(migrated, "/healthz") == (200, {"status": "ok"})
    assert _probe(migrated, "/readyz") == (200, {"status": "ready"})


def test_readyz_reports_an_old_schema_and_an_unreachable_database(migrated: str) -> None:
    _execute(migrated, "UPDATE alembic_version SET version_num = '0006_merge'")
    status, body = _probe(migrated, "/readyz")
    assert status == 503 and body["status"] == "not_ready" and "请先运行 baguan init-db" in body["problems"][0]
    status, body = _probe("postgresql://nobody@127.0.0.1:1/none", "/readyz")
    assert status == 503 and body["problems"][0].startswith("数据库无法连接")
    assert _probe("postgresql://nobody@127.0.0.1:1/none", "/healthz")[0] == 200


def test_readyz_checks_the_worker_heartbeat(migrated: str) -> None:
    status, body = _probe(migrated, "/readyz")
    assert status == 503 and body["problems"] == ["没有定时器进程（baguan worker）的心跳"]
    _execute(migrated, BEAT, at=utcnow() - timedelta(minutes=10))
    status, body = _probe(migrated, "/readyz")
    assert status == 503 and "最近一次心跳在" in body["problems"][0]
    _execute(migrated, "UPDATE worker_heartbeat SET last_seen = :at", at=utcnow())
    assert _probe(migrated, "/readyz") == (200, {"status": "ready"})


# --- real processes -----------------------------------------------------------------------------------------------

@pytest.fixture
def pg_schema() -> Iterator[str]:
    """One PostgreSQL schema shared by several processes (the two-host set-up in miniature)."""
    if PG_PROBLEM:
        pytest.skip(f"PostgreSQL not reachable: {PG_PROBLEM}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _execute(PG_URL, f'CREATE SCHEMA "{schema}"')
    try:
        yield pg_schema_url(schema)
    finally:
        _execute(PG_URL, f'DROP SCHEMA "{schema}" CASCADE')


def test_two_web_servers_and_a_worker_share_one_postgresql(pg_schema: str, tmp_path: Path) -> None:
    env = baguan_env(pg_schema, tmp_path)
    for command in (["init-db"], ["deploy"], ["seed-demo"]):
        done = baguan(env, *command)
        assert done.returncode == 0, done.stderr
    staff, sg = (baguan(env, "token", "create", u).stdout.strip() for u in ("jx_staff", "jx_sg"))
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([str(PROJECT_ROOT / ".venv/bin/baguan"), "serve"], env={**env, "BAGUAN_PORT": str(p)},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for p in ports]
    worker = subprocess.Popen([str(PROJECT_ROOT / ".venv/bin/baguan"), "worker", "--interval", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first, second = (f"http://127.0.0.1:{p}" for p in ports)
    try:
        assert wait_until_ready(first + "/readyz") == 200 and wait_until_ready(second + "/readyz") == 200
        status, case = api(first, staff, "POST", "/cases", {"process": "annual_plan", "org": "JX",
                                                            "title": "两台主机上的年度计划", "data": ANNUAL_PLAN})
        assert status == 201, case
        _, tasks = api(second, sg, "GET", "/tasks")
        [task] = [t for t in tasks["items"] if t["case_id"] == case["id"]]
        status, body = api(second, sg, "POST", f"/tasks/{task['id']}/complete",
                           {"decision": "approve", "comment": "同意", "data": {"sg_compliance_checked": True}})
        assert status == 200, body
        status, seen = api(first, staff, "GET", f"/cases/{case['id']}")
        assert status == 200
        assert [(t["step"], t["status"]) for t in seen["tasks"]][-2:] == [("sg_review", "completed"),
                                                                          ("finance_check", "open")]
        browser = Browser(first)
        assert browser.login("jx_finance", DEMO_PASSWORD) == 200
        status, inbox = browser.get("/", base=second)
        assert status == 200 and "两台主机上的年度计划" in inbox, "a session from one host is valid on the other"
        assert worker.poll() is None, "the worker keeps running"
    finally:
        outputs = [stop(p) for p in (*servers, worker)]
    assert all("Traceback" not in o for o in outputs), outputs
    assert not (tmp_path / ".gunicorn").exists(), "no shared control socket in ~/.gunicorn"


def test_make_run_stops_server_and_worker_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = baguan_env(f"sqlite:///{tmp_path}/instance/baguan.sqlite3", tmp_path, BAGUAN_PORT=str(port))
    env.pop("BAGUAN_SECRET_KEY")
    run = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", seconds=120) == 200
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=60)[0]
    finally:
        if run.poll() is None:
            run.kill()
    assert port_closed(port), "the server kept the port after make was stopped"
    survivors = subprocess.run(["pgrep", "-s", str(run.pid)], capture_output=True, text=True).stdout.split()
    assert survivors == [], output
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_behind_nginx_the_forwarded_address_is_the_client(db_url: str, world: World) -> None:
    attempts = []
    for proxies in (0, 1):
        app = create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                          "WTF_CSRF_ENABLED": False, "TRUSTED_PROXIES": proxies}, environ={"BAGUAN_ENV": "testing"})
        app.test_client().post("/login", data={"username": "xh_staff", "password": "wrong-password"},
                               headers={"X-Forwarded-For": "203.0.113.9"})
        app.extensions["baguan_db"].engine.dispose()
        with world.sessions() as session:
            attempts.append(session.scalars(select(LoginAttempt.remote_addr).order_by(LoginAttempt.id.desc())).first())
    assert attempts == ["127.0.0.1", "203.0.113.9"]

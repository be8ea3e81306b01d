"""The worker outlives a lost database (issue 14.5): it waits with backoff, says so in one Chinese line, and goes
on once the database is back; every loop writes a heartbeat that ``worker_heartbeat_age`` reads."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from threading import Event
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import worker as worker
from engine.db import make_engine
from engine.library.models import WorkerHeartbeat

UNREACHABLE_PG = "postgresql://postgres@127.0.0.1:1/nothing"


class Loops(Event):
    """A stop event that lets ``serve`` run ``count`` waits, remembering how long each would have slept."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count, self.waits = count, []  # type: ignore[var-annotated]

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        if len(self.waits) >= self.count:
            self.set()
        return self.is_set()


class FlakySessions:
    """A session factory whose first ``failures`` sessions talk to a database that cannot be opened."""

    def __init__(self, good: sessionmaker[Session], bad: Engine, failures: int) -> None:
        self.good, self.bad, self.failures = good, bad, failures

    def __call__(self) -> Session:
        if self.failures > 0:
            self.failures -= 1
            return Session(bind=self.bad)
        return self.good()


def test_the_worker_waits_out_a_lost_database_and_goes_on(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    bad = make_engine(f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3")
    stop, lines = Loops(4), []  # type: ignore[var-annotated]
    worker.serve(FlakySessions(sessions, bad, 2), 15.0, stop, log=lines.append)  # type: ignore[arg-type]
    assert stop.waits == [1.0, 2.0, 15.0, 15.0]
    assert len(lines) == 3
    assert all(line.startswith("数据库连接失败（") for line in lines[:2])
    assert "1 秒后重试（第 1 次）" in lines[0] and "2 秒后重试（第 2 次）" in lines[1]
    assert lines[2] == "数据库连接已恢复（此前失败 2 次）"
    with sessions() as session:
        age = worker.worker_heartbeat_age(session)
        assert age is not None and age.total_seconds() < 600
        [beat] = session.query(WorkerHeartbeat).all()
        assert beat.pid == os.getpid()


def test_reconnect_delays_grow_and_are_capped() -> None:
    assert [worker.reconnect_delay(n) for n in (1, 2, 3, 7, 30)] == [1.0, 2.0, 4.0, 60.0, 60.0]


def test_heartbeat_age_is_none_before_any_worker_ran(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        assert worker.worker_heartbeat_age(session) is None
        worker.beat(session, "w1")
        age = worker.worker_heartbeat_age(session)
        assert age is not None and age.total_seconds() >= 0


def test_worker_command_does_not_exit_when_the_database_is_unreachable(tmp_path: Path) -> None:
    executable = Path(sys.executable).parent / "baguan"
    env: dict[str, Any] = {**os.environ, "BAGUAN_ENV": "development", "BAGUAN_DATABASE_URL": UNREACHABLE_PG}
    process = subprocess.Popen([str(executable), "worker", "--interval", "0.2"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    assert process.stdout is not None
    try:
        assert "定时器进程已启动" in process.stdout.readline().decode("utf-8")
        retry = process.stdout.readline().decode("utf-8")
        assert retry.startswith("数据库连接失败（") and "秒后重试（第 1 次）" in retry
        assert process.poll() is None
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert process.returncode == 0 and "Traceback" not in output

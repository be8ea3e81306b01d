"""``baguan worker``: one pass with --once, and a long-running worker that stops cleanly on Ctrl-C / SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from engine.cases import operations as cases
from engine.db import make_engine, make_session_factory, utcnow
from engine.identity.models import Organisation, User
from engine.journal import AuditEvent
from engine.library.models import Timer

from ..security.helpers import run_cli
from .test_large_expense import expense


def test_worker_once_fires_what_is_due(db_url: str) -> None:
    for args in (["init-db"], ["deploy"], ["seed-demo"]):
        assert run_cli(db_url, *args).exit_code == 0
    engine = make_engine(db_url)
    try:
        sessions = make_session_factory(engine)
        with sessions() as session, session.begin():
            staff = session.scalar(select(User).where(User.username == "jx_staff"))
            org = session.scalar(select(Organisation).where(Organisation.code == "JX"))
            assert staff is not None and org is not None
            case = cases.start_case(session, staff, "large_expense", org, "会场租赁", expense(3000))
            case_id = case.id
            session.execute(update(Timer).where(Timer.case_id == case_id).values(due_at=utcnow() - timedelta(minutes=1)))
        result = run_cli(db_url, "worker", "--once")
        assert result.exit_code == 0, result.output
        assert "已处理 2 个到期定时器" in result.stdout
        with sessions() as session:
            actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)).all()
            assert {"task.reminded", "task.escalated"} <= set(actions)
    finally:
        engine.dispose()


def test_worker_stops_cleanly_on_a_signal(tmp_path: Path) -> None:
    executable = Path(sys.executable).parent / "baguan"
    env: dict[str, Any] = {**os.environ, "BAGUAN_ENV": "development",
                           "BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path}/baguan.sqlite3"}
    assert subprocess.run([str(executable), "init-db"], env=env, capture_output=True, timeout=120).returncode == 0
    worker = subprocess.Popen([str(executable), "worker", "--interval", "0.2"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    assert worker.stdout is not None
    first = worker.stdout.readline().decode("utf-8")
    assert "定时器进程已启动" in first
    worker.send_signal(signal.SIGINT)
    output = worker.communicate(timeout=30)[0].decode("utf-8", "replace")
    assert worker.returncode == 0 and "Traceback" not in output

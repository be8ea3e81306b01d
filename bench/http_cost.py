"""Completing one review over HTTP: the JSON API behind gunicorn (one sync worker) on SQLite, token auth.

Run with ``PYTHONPATH=. .venv/bin/python -m bench.http_cost``; prints the median per completion.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from engine.bootstrap import start as start_engine
from engine.db import make_engine, make_session_factory
from engine.identity import accounts as identity
from engine.runtime import schema as schema

from .engine_cost import open_cases, seed

HOST = "127.0.0.1"
REVIEWER = "b_sg"
COMPLETE_BODY = json.dumps({"decision": "approve", "comment": "", "data": {"sg_compliance_checked": True}})
START_TIMEOUT = 60.0


def prepare_database(url: str, cases: int) -> tuple[str, list[int]]:
    """Migrate and seed the database; an API token for the reviewer and ``cases`` open reviews."""
    start_engine()
    engine = make_engine(url)
    try:
        schema.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session, session.begin():
            seed(session)
            token = identity.create_token(session, REVIEWER)
        return token, open_cases(sessions, cases)
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(workdir: Path, url: str, port: int) -> dict[str, str]:
    return {**os.environ, "BAGUAN_ENV": "production", "BAGUAN_SECRET_KEY": "bench-secret-key-0123456789",
            "BAGUAN_DATABASE_URL": url, "BAGUAN_INSTANCE_DIR": str(workdir / "instance"),
            "BAGUAN_HOST": HOST, "BAGUAN_PORT": str(port), "BAGUAN_WORKERS": "1"}


@contextmanager
def running_server(workdir: Path, url: str) -> Iterator[int]:
    """``baguan serve`` in a child process until the block ends; yields its port once it answers."""
    port = free_port()
    command = [sys.executable, "-c", "from webapp.cli import main; main()", "serve"]
    process = subprocess.Popen(command, env=server_environment(workdir, url, port),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_ready(process, port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"baguan serve exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("baguan serve did not answer in time")


def complete(connection: http.client.HTTPConnection, token: str, task_id: int) -> None:
    connection.request("POST", f"/api/v1/tasks/{task_id}/complete", body=COMPLETE_BODY,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"task {task_id}: HTTP {response.status} {body[:300]!r}")


def measure_http_complete(workdir: Path, iterations: int) -> list[float]:
    """POST /api/v1/tasks/{id}/complete over one keep-alive connection; seconds per request (one warm-up first)."""
    url = f"sqlite:///{workdir / 'http-bench.sqlite3'}"
    token, task_ids = prepare_database(url, iterations + 1)
    samples = []
    with running_server(workdir, url) as port:
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        complete(connection, token, task_ids[0])
        for task_id in task_ids[1:]:
            start = time.perf_counter()
            complete(connection, token, task_id)
            samples.append(time.perf_counter() - start)
        connection.close()
    return samples


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as directory:
        timings = measure_http_complete(Path(directory), int(sys.argv[1]) if len(sys.argv) > 1 else 30)
    print(f"HTTP completion (gunicorn, 1 worker, SQLite): median {statistics.median(timings) * 1000:.1f} ms "
          f"over {len(timings)} requests")

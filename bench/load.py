"""Throughput of the real deployment: gunicorn web workers and timer workers on PostgreSQL or SQLite, driven by
Locust clients through the JSON API (bench/locustfile.py).

For each database: a fresh database (a new PostgreSQL schema, or a SQLite file) migrated by ``baguan init-db``,
only the benchmark's five-step approval diagram deployed (``baguan deploy bench/workflows``), societies with their
经办人, 秘书长, 财务, 党组织书记 and 理事长, one 市科协学会部 reviewer, an API token each, a backlog of open
备案 tasks in the reviewer's 待办, then ANALYZE. Then for each number of web workers: ``baguan serve`` with that
many gunicorn workers, ``baguan worker`` processes beside it, and the Locust clients for a warm-up and a
measured period. Prints completed instances per second and, per operation, requests per second, p50 and p95.

    python -m bench.load --db both --web-workers 1,2,4 --clients 4 --duration 20
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.bootstrap import start as start_engine
from engine.db import make_engine, make_session_factory, utcnow
from engine.identity import accounts as identity
from engine.runtime.models import Case, HumanTask, ProcessDefinition

from .databases import KINDS, analyze, fresh_database

ROOT = Path(__file__).resolve().parent.parent
DIAGRAMS = Path(__file__).resolve().parent / "workflows"
BAGUAN = Path(sys.executable).parent / "baguan"
SOCIETY_ROLES = {"staff": "经办人", "secretary_general": "秘书长", "finance": "财务", "party_secretary": "党组织书记",
                 "president": "理事长"}
BACKLOG_CHUNK = 5000


@dataclass(frozen=True)
class LoadSettings:
    clients: int = 4
    duration: float = 20.0
    warmup: float = 3.0
    timer_workers: int = 1
    societies: int = 8
    backlog: int = 5000
    return_every: int = 4


@dataclass(frozen=True)
class LoadPoint:
    """One measured run: a database, a number of web workers and the figures Locust collected."""

    db: str
    web_workers: int
    clients: int
    seconds: float
    operations: dict[str, dict[str, float]]
    errors: list[str] = field(default_factory=list)
    load_before: float = 0.0
    load_after: float = 0.0

    @property
    def instances_per_s(self) -> float:
        return self.operations.get("instance", {}).get("per_s", 0.0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def baguan_env(url: str, workdir: Path) -> dict[str, str]:
    return {**os.environ, "BAGUAN_DATABASE_URL": url, "BAGUAN_INSTANCE_DIR": str(workdir / "instance"),
            "BAGUAN_SECRET_KEY": secrets.token_urlsafe(32), "BAGUAN_ENV": "production", "BAGUAN_COOKIE_SECURE": "0"}


def baguan(env: dict[str, str], *args: str) -> None:
    subprocess.run([str(BAGUAN), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def seed(url: str, settings: LoadSettings) -> dict[str, Any]:
    """Societies, users, roles and API tokens (the plan the clients read), plus the reviewer's backlog."""
    start_engine()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    try:
        with sessions() as session, session.begin():
            plan = _seed_people(session, settings)
            _seed_backlog(session, settings.backlog)
    finally:
        engine.dispose()
    analyze(url)
    return {**plan, "return_every": settings.return_every}


def _seed_people(session: Session, settings: LoadSettings) -> dict[str, Any]:
    identity.add_org(session, "TAST", "天津市科学技术协会", "supervisor")
    identity.add_user(session, "load_cast", "学会部审核员", "bench-password")
    identity.grant_role(session, "load_cast", "cast_reviewer", "TAST")
    societies = []
    for n in range(settings.societies):
        code = f"L{n:02d}"
        identity.add_org(session, code, f"负载测试学会{n:02d}", "society", "TAST")
        tokens = {}
        for role, label in SOCIETY_ROLES.items():
            username = f"{code.lower()}_{role}"
            identity.add_user(session, username, f"{code}{label}", "bench-password")
            identity.grant_role(session, username, role, code)
            tokens[role] = identity.create_token(session, username)
        societies.append({"code": code, "tokens": tokens})
    return {"societies": societies, "supervisor_tokens": {"cast_reviewer": identity.create_token(session, "load_cast")}}


def _seed_backlog(session: Session, tasks: int) -> None:
    """Open 备案 tasks of other societies in the 科协 reviewer's 待办, so its first page counts a real total."""
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "five_step"))
    assert definition is not None
    supervisor = identity.get_org(session, "TAST")
    org_ids = [identity.add_org(session, f"B{n:03d}", f"积压学会{n:03d}", "society", "TAST").id for n in range(50)]
    submitter = identity.add_user(session, "load_backlog", "积压经办人", "bench-password").id
    base = utcnow() - timedelta(days=30)
    for start in range(0, tasks, BACKLOG_CHUNK):
        numbers = range(start, min(start + BACKLOG_CHUNK, tasks))
        session.execute(insert(Case), [dict(
            id=1_000_000 + n, number=f"B-{n:06d}", definition_id=definition.id, process_key="five_step",
            org_id=org_ids[n % len(org_ids)], title=f"积压事项 {n}", status="running", data={}, state="{}",
            serializer_version="1.5", version=1, created_by=submitter, created_at=base, updated_at=base)
            for n in numbers])
        session.execute(insert(HumanTask), [dict(
            case_id=1_000_000 + n, org_id=org_ids[n % len(org_ids)], scope_org_id=supervisor.id,
            submitter_id=submitter, role="cast_reviewer", spiff_task_id=f"00000000-0000-0000-0000-{n:012d}",
            bpmn_id="cast_filing", name="市科协学会部备案", kind="review", form_key=None, status="open",
            created_at=base + timedelta(seconds=n)) for n in numbers])


def wait_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"baguan serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{base}/readyz not ready after {seconds:.0f} s")


@contextmanager
def background(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child process with its output in ``log``, stopped with SIGTERM (then killed) when the block ends."""
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drive(base: str, plan_file: Path, settings: LoadSettings) -> dict[str, Any]:
    """The Locust clients, in a process of their own (gevent's monkey-patching stays out of this one)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.locustfile", "--host", base, "--plan", str(plan_file),
         "--clients", str(settings.clients), "--duration", str(settings.duration), "--warmup", str(settings.warmup)],
        cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"the Locust clients failed ({result.returncode}): {result.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def measure_load(kind: str, web_workers: list[int], settings: LoadSettings, workdir: Path) -> list[LoadPoint]:
    """One database of ``kind``, seeded once; one measured run per entry of ``web_workers``."""
    url, cleanup = fresh_database(kind, workdir)
    env = baguan_env(url, workdir)
    points = []
    try:
        baguan(env, "init-db")
        baguan(env, "deploy", str(DIAGRAMS))
        plan_file = workdir / f"plan-{kind}.json"
        plan_file.write_text(json.dumps(seed(url, settings)), encoding="utf-8")
        with ExitStack() as timers:
            for n in range(settings.timer_workers):
                timers.enter_context(background([str(BAGUAN), "worker", "--interval", "5"], env,
                                                workdir / f"worker-{kind}-{n}.log"))
            for workers in web_workers:
                points.append(_measure_point(kind, workers, env, plan_file, settings, workdir))
    finally:
        cleanup()
    return points


def _measure_point(kind: str, workers: int, env: dict[str, str], plan_file: Path, settings: LoadSettings,
                   workdir: Path) -> LoadPoint:
    port = free_port()
    server_env = {**env, "BAGUAN_PORT": str(port), "BAGUAN_WORKERS": str(workers)}
    base = f"http://127.0.0.1:{port}"
    with background([str(BAGUAN), "serve"], server_env, workdir / f"serve-{kind}-{workers}.log") as server:
        wait_ready(base, server)
        load_before = os.getloadavg()[0]
        report = drive(base, plan_file, settings)
        load_after = os.getloadavg()[0]
    return LoadPoint(kind, workers, settings.clients, report["seconds"], report["operations"], report["errors"],
                     load_before, load_after)


def format_point(point: LoadPoint) -> list[str]:
    lines = [f"[{point.db}] {point.web_workers} web worker(s), {point.clients} clients, {point.seconds:.0f} s: "
             f"{point.instances_per_s:.1f} completed instances/s (load average {point.load_before:.1f} → "
             f"{point.load_after:.1f})"]
    for name, figures in sorted(point.operations.items(), key=lambda item: _operation_order(item[0])):
        lines.append(f"    {name:<9} {figures['count']:>6.0f} requests {figures['per_s']:>7.1f}/s   "
                     f"p50 {figures['p50_ms']:>6.0f} ms   p95 {figures['p95_ms']:>6.0f} ms   "
                     f"failures {figures['failures']:.0f}")
    lines.extend(f"    error: {error}" for error in point.errors[:5])
    return lines


def _operation_order(name: str) -> int:
    order = ("file", "approve", "return", "refile", "inbox", "case", "instance")
    return order.index(name) if name in order else len(order)


def parse_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or any(n < 1 for n in counts):
        raise argparse.ArgumentTypeError("a comma-separated list of positive numbers, e.g. 1,2,4")
    return counts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=[*KINDS, "both"], default="both")
    parser.add_argument("--web-workers", type=parse_counts, default=[1, 2, 4],
                        help="gunicorn workers per run, comma-separated (default 1,2,4)")
    parser.add_argument("--timer-workers", type=int, default=LoadSettings.timer_workers)
    parser.add_argument("--clients", type=int, default=LoadSettings.clients)
    parser.add_argument("--duration", type=float, default=LoadSettings.duration, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=LoadSettings.warmup, help="unmeasured seconds before")
    parser.add_argument("--societies", type=int, default=LoadSettings.societies)
    parser.add_argument("--backlog", type=int, default=LoadSettings.backlog,
                        help="open tasks seeded in the 科协 reviewer's 待办 before the run")
    parser.add_argument("--return-every", type=int, default=LoadSettings.return_every,
                        help="every n-th instance of a client is 退回修改 once and refiled (0: never)")
    return parser


def settings_from(args: argparse.Namespace) -> LoadSettings:
    return LoadSettings(clients=args.clients, duration=args.duration, warmup=args.warmup,
                        timer_workers=args.timer_workers, societies=args.societies, backlog=args.backlog,
                        return_every=args.return_every)


def main() -> None:
    args = build_parser().parse_args()
    kinds = list(KINDS) if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            for point in measure_load(kind, args.web_workers, settings_from(args), Path(workdir)):
                print("\n".join(format_point(point)), flush=True)


if __name__ == "__main__":
    main()

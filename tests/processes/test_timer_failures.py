"""One bad timer no longer stops every worker (issue 11.2): its transaction is rolled back, the failure is recorded
(attempts, last error, next attempt after a backoff), the worker goes on with the other timers, and after
``MAX_ATTEMPTS`` the timer is parked where admins see it (``baguan worker --failed``, /admin/timers) and can retry it."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import select, update

import forms as form_lib
from engine import journal as audit
from engine.cases import worker as worker
from engine.db import utcnow
from engine.journal import AuditEvent
from engine.library.models import Timer
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import SourceFile

from ..conftest import World
from ..security import samples
from ..security.helpers import run_cli
from .helpers import start

BOOM = "x = int(float('inf'))"


def timed_process(key: str, on_timeout: bool, script: str | None = None) -> str:
    """The probe process under ``key``; its review step is due in 2 working days, passes by itself when
    ``on_timeout``, and is followed by a script task when ``script`` is given."""
    props = '<spiffworkflow:property name="dueDays" value="2"/>'
    if on_timeout:
        props += '<spiffworkflow:property name="onTimeout" value="approve"/>'
    document = samples.process().replace(f'id="{samples.PROCESS_KEY}"', f'id="{key}"').replace(
        '<bpmn:userTask id="review" name="审核">',
        '<bpmn:userTask id="review" name="审核"><bpmn:extensionElements><spiffworkflow:properties>'
        f'{props}</spiffworkflow:properties></bpmn:extensionElements>')
    if script is None:
        return document
    return document.replace(
        '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>',
        '<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="boom"/>'
        f'<bpmn:scriptTask id="boom"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>'
        f'<bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'
        '<bpmn:sequenceFlow id="f4" sourceRef="boom" targetRef="end"/>').replace(
        '<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming>', '<bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming>')


def deploy_probes(world: World) -> None:
    sources = [SourceFile("bad.bpmn", timed_process("probe_bad", True, BOOM).encode("utf-8")),
               SourceFile("good.bpmn", timed_process("probe_good", False).encode("utf-8"))]
    with world.sessions() as session, session.begin():
        deployment.deploy(session, sources, [], form_lib.load_forms())


def bad_and_good_cases(world: World) -> tuple[int, int]:
    deploy_probes(world)
    return start(world, "probe_bad", {}, title="报备（脚本会出错）"), start(world, "probe_good", {}, title="正常事项")


def timeout_timer(world: World, case_id: int) -> Timer:
    with world.sessions() as session:
        timer = session.scalar(select(Timer).where(Timer.case_id == case_id, Timer.kind == "timeout"))
        assert timer is not None
        session.expunge(timer)
        return timer


def later() -> datetime:
    return utcnow() + timedelta(days=30)


def test_a_failing_timer_is_recorded_and_the_other_timers_still_fire(world: World) -> None:
    bad, good = bad_and_good_cases(world)
    now = later()
    fired = worker.run_due(world.sessions, now=now)
    assert {(f.case_id, f.kind, f.failed) for f in fired} == {
        (bad, "remind", False), (bad, "timeout", True), (good, "remind", False), (good, "escalate", False)}
    timer = timeout_timer(world, bad)
    assert (timer.status, timer.attempts) == ("failed", 1)
    assert timer.next_attempt_at == now + worker.RETRY_BASE
    assert timer.last_error and "流程运行出错" in timer.last_error
    with world.sessions() as session:
        case = session.get(Case, bad)
        assert case is not None and case.status == "running"
        review = session.scalar(select(HumanTask).where(HumanTask.case_id == bad, HumanTask.bpmn_id == "review"))
        assert review is not None and review.status == "open"
        assert "task.completed" not in session.scalars(select(AuditEvent.action).where(
            AuditEvent.case_id == bad, AuditEvent.actor_name == "系统（期满自动）")).all()
        assert "task.escalated" in session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == good)).all()
        assert audit.verify_chain(session).ok


def test_a_failing_timer_backs_off_then_is_parked_and_an_admin_can_retry_it(world: World) -> None:
    bad, _good = bad_and_good_cases(world)
    when = later()
    worker.run_due(world.sessions, now=when)
    assert [f for f in worker.run_due(world.sessions, now=when) if f.case_id == bad] == []
    waits = []
    for attempt in range(2, worker.MAX_ATTEMPTS + 1):
        timer = timeout_timer(world, bad)
        assert timer.next_attempt_at is not None
        waits.append(timer.next_attempt_at - when)
        when = timer.next_attempt_at
        assert [f.failed for f in worker.run_due(world.sessions, now=when - timedelta(seconds=1))] == []
        assert [(f.kind, f.failed) for f in worker.run_due(world.sessions, now=when)] == [("timeout", True)]
        assert timeout_timer(world, bad).attempts == attempt
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    parked = timeout_timer(world, bad)
    assert (parked.status, parked.next_attempt_at) == ("parked", None)
    assert worker.run_due(world.sessions, now=when + timedelta(days=365)) == []
    with world.sessions() as session, session.begin():
        assert [t.id for t in worker.failed_timers(session)] == [parked.id]
        assert "timer.parked" in session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == bad)).all()
        worker.retry_timer(session, parked.id, world.user(session, "admin"))
    assert (timeout_timer(world, bad).status, timeout_timer(world, bad).attempts) == ("pending", 0)
    assert [(f.kind, f.failed) for f in worker.run_due(world.sessions, now=when)] == [("timeout", True)]


def test_worker_once_goes_on_past_a_failing_timer_and_lists_failures(world: World, db_url: str) -> None:
    bad, good = bad_and_good_cases(world)
    with world.sessions() as session, session.begin():
        session.execute(update(Timer).values(due_at=utcnow() - timedelta(minutes=1)))
    result = run_cli(db_url, "worker", "--once")
    assert result.exit_code == 0, result.output
    assert "已处理 3 个到期定时器，另有 1 个执行失败" in result.stdout
    assert f"事项 {bad} 执行失败" in result.stdout
    listing = run_cli(db_url, "worker", "--failed")
    assert listing.exit_code == 0, listing.output
    [header, row] = listing.stdout.strip().splitlines()
    assert header.startswith("编号\t状态")
    assert row.startswith(f"{timeout_timer(world, bad).id}\t失败，等待重试\ttimeout\t{bad}\t")
    assert good not in [int(line.split("\t")[3]) for line in listing.stdout.strip().splitlines()[1:]]


def test_admins_see_parked_timers_and_the_worker_heartbeat_and_can_retry(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    bad, _good = bad_and_good_cases(world)
    with world.sessions() as session, session.begin():
        session.execute(update(Timer).where(Timer.case_id == bad, Timer.kind == "timeout")
                        .values(status="parked", attempts=worker.MAX_ATTEMPTS, last_error="ExpressionError: 数值过大"))
    timer_id = timeout_timer(world, bad).id
    client = login("admin")
    page = client.get("/admin/timers").get_data(as_text=True)
    assert "尚未有定时器进程运行过" in page
    assert "已停放，需管理员处理" in page and "期满自动同意" in page and "ExpressionError: 数值过大" in page
    assert f'action="/admin/timers/{timer_id}/retry"' in page and "立即重试" in page
    with world.sessions() as session, session.begin():
        worker.beat(session, "host:1:1")
    assert "运行正常" in client.get("/admin/timers").get_data(as_text=True)
    response = client.post(f"/admin/timers/{timer_id}/retry")
    assert response.status_code == 302
    assert timeout_timer(world, bad).status == "pending"
    assert "已重新排队" in client.get("/admin/timers").get_data(as_text=True)
    assert client.post(f"/admin/timers/{timer_id}/retry").status_code == 409
    staff = login("xh_sg")
    assert staff.get("/admin/timers").status_code == 404
    assert staff.post(f"/admin/timers/{timer_id}/retry").status_code == 404

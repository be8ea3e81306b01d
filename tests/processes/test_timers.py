"""Deadlines and the timer worker: reminders, escalation to the secretary-general, 报备 accepted when its
period runs out, political steps that never pass by timeout, and several workers firing each timer once."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.cases import worker as worker
from engine.errors import DeployRejected
from engine.journal import AuditEvent
from engine.library.models import Timer
from engine.library.timers import due_at
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask
from engine.workdays import add_working_days

from ..conftest import World
from ..plan_walk import FINANCE, REVIEW_STEPS, actor
from .helpers import act, open_step, open_tasks, start, status

PROJECT = Path(__file__).resolve().parents[2]


def plan_at_filing(world: World, plan_data: dict[str, Any]) -> int:
    case_id = start(world, "annual_plan", plan_data)
    for step in REVIEW_STEPS[:-1]:
        username, data = actor(step)
        act(world, username, case_id, data=data)
    assert open_step(world, case_id) == "cast_filing"
    return case_id


def open_row(world: World, case_id: int) -> HumanTask:
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        session.expunge(row)
        return row


def actions(world: World, case_id: int) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))


def test_due_dates_count_chinese_working_days_or_calendar_days() -> None:
    before_national_day = datetime(2026, 9, 30, 9, 0)
    assert due_at(before_national_day, 1, "working") == datetime(2026, 10, 8, 9, 0)
    assert due_at(before_national_day, 1, "calendar") == datetime(2026, 10, 1, 9, 0)
    assert due_at(datetime(2026, 10, 9, 9, 0), 1, "working") == datetime(2026, 10, 10, 9, 0)  # 调休上班的周六


def test_each_step_gets_a_reminder_and_an_escalation(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    row = open_row(world, case_id)
    assert row.due_at == add_working_days(row.created_at, 3)
    with world.sessions() as session:
        kinds = sorted(session.scalars(select(Timer.kind).where(Timer.task_id == row.id)))
    assert kinds == ["escalate", "remind"]


def test_reminder_before_due_then_the_secretary_general_is_told(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    row = open_row(world, case_id)
    assert row.due_at is not None
    assert worker.run_due(world.sessions, now=row.due_at - timedelta(days=3)) == []
    reminded = worker.run_due(world.sessions, now=row.due_at - timedelta(minutes=1))
    assert [f.kind for f in reminded] == ["remind"]
    escalated = worker.run_due(world.sessions, now=row.due_at + timedelta(minutes=1))
    assert [f.kind for f in escalated] == ["escalate"]
    assert worker.run_due(world.sessions, now=row.due_at + timedelta(days=30)) == []
    assert actions(world, case_id)[-2:] == ["task.reminded", "task.escalated"]
    assert open_step(world, case_id) == "sg_review"


def test_a_step_completed_in_time_cancels_its_timers(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    row = open_row(world, case_id)
    act(world, "xh_sg", case_id)
    act(world, "xh_finance", case_id, data=FINANCE)
    assert row.due_at is not None
    fired = worker.run_due(world.sessions, now=row.due_at + timedelta(minutes=1))
    assert {f.outcome for f in fired if f.case_id == case_id and f.kind != "remind"} <= {"步骤已办结"}
    assert "task.escalated" not in actions(world, case_id)


def test_filing_with_no_objection_is_accepted_when_its_period_ends(world: World, plan_data: dict[str, Any]) -> None:
    case_id = plan_at_filing(world, plan_data)
    row = open_row(world, case_id)
    assert row.due_at == add_working_days(row.created_at, 15)
    assert row.due_at is not None
    worker.run_due(world.sessions, now=row.due_at - timedelta(seconds=1))
    assert status(world, case_id) == "running"
    fired = worker.run_due(world.sessions, now=row.due_at)
    assert [f.kind for f in fired if f.outcome != "步骤已办结"] == ["timeout"]
    assert status(world, case_id) == "completed"
    with world.sessions() as session:
        task = session.get(HumanTask, row.id)
        assert task is not None and (task.status, task.decision) == ("completed", "approve")
        assert "视为同意" in (task.comment or "")


def test_political_review_is_never_passed_by_timeout(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    act(world, "xh_sg", case_id)
    act(world, "xh_finance", case_id, data=FINANCE)
    row = open_row(world, case_id)
    assert row.bpmn_id == "party_review" and row.due_at is not None
    worker.run_due(world.sessions, now=row.due_at + timedelta(days=365))
    assert open_step(world, case_id) == "party_review"
    assert "task.escalated" in actions(world, case_id)


POLITICAL_TIMEOUT = (PROJECT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8").replace(
    '<spiffworkflow:property name="political" value="true" />',
    '<spiffworkflow:property name="political" value="true" /><spiffworkflow:property name="onTimeout" value="approve" />')


def test_deploy_refuses_a_political_step_that_would_pass_by_timeout(world: World) -> None:
    assert POLITICAL_TIMEOUT.count("onTimeout") == 2
    with world.sessions() as session, pytest.raises(DeployRejected) as refused:
        deployment.deploy(session, [deployment.SourceFile("plan.bpmn", POLITICAL_TIMEOUT.encode())], [],
                          deployment.read_sources([PROJECT / "forms"])[2])
    assert any("不允许超时自动通过" in p for p in refused.value.problems)


def test_deploy_refuses_an_interrupting_timer_on_a_political_step(world: World) -> None:
    source = (PROJECT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8").replace(
        '<bpmn:endEvent id="end"',
        '<bpmn:boundaryEvent id="party_timeout" attachedToRef="party_review" cancelActivity="true">'
        '<bpmn:outgoing>f_timeout</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeDuration>"P10D"'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'
        '<bpmn:sequenceFlow id="f_timeout" sourceRef="party_timeout" targetRef="president_review" />'
        '<bpmn:endEvent id="end"')
    with world.sessions() as session, pytest.raises(DeployRejected) as refused:
        deployment.deploy(session, [deployment.SourceFile("plan.bpmn", source.encode())], [],
                          deployment.read_sources([PROJECT / "forms"])[2])
    assert any("party_timeout" in p and "中断型定时器" in p for p in refused.value.problems)


def test_several_workers_fire_each_timer_exactly_once(world: World, plan_data: dict[str, Any], db_url: str) -> None:
    case_ids = [plan_at_filing(world, plan_data) for _ in range(3)]
    for _ in range(4):
        start(world, "annual_plan", plan_data)
    later = datetime.utcnow() + timedelta(days=60)
    with world.sessions() as session:
        pending = session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending")) or 0
    results: list[list[worker.Fired]] = []
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            results.append(worker.run_due(world.sessions, now=later, name=name))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(1 if db_url.startswith("sqlite") else 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fired_ids = [f.timer_id for batch in results for f in batch]
    assert len(fired_ids) == len(set(fired_ids))
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Timer).where(Timer.status == "pending")) == 0
        assert session.scalar(select(func.count()).select_from(Timer).where(Timer.status != "pending")) == pending
        for case_id in case_ids:
            case = session.get(Case, case_id)
            assert case is not None and case.status == "completed"

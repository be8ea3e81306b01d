"""Failures inside an engine step roll the whole step back (T-FAIL-05), and automatic loops long enough to
hide tasks from SpiffWorkflow never make a case look finished (T-FAIL-10)."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

import forms as form_lib
from engine import journal as audit
from engine.cases import operations as cases
from engine.errors import BaguanError
from engine.journal import AuditEvent
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import SourceFile

from ..conftest import World
from ..security import samples


def _deploy(world: World, document: str) -> None:
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", document.encode("utf-8"))], [], form_lib.load_forms())


def _start(world: World, data: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"),
                                "探针事项", data).id


def _state(world: World) -> tuple[int, int, list[tuple[str, str]]]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                [(t.bpmn_id, t.status) for t in session.scalars(select(HumanTask).order_by(HumanTask.id))])


def test_a_short_automatic_loop_runs_to_the_next_review(world: World) -> None:
    _deploy(world, samples.script_loop(50))
    case_id = _start(world, {})
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case.status == "running"
        workflow = cases.load_workflow(case)
        assert workflow.last_task.data["count"] == 50
        assert [t.bpmn_id for t in session.scalars(select(HumanTask).where(HumanTask.status == "open"))] == ["review"]


@pytest.mark.parametrize("iterations", [600, 100_000])
def test_a_runaway_loop_is_stopped_and_never_completes_the_case(world: World, iterations: int) -> None:
    _deploy(world, samples.script_loop(iterations))
    before = _state(world)
    with pytest.raises(BaguanError) as error:
        _start(world, {})
    assert "循环" in error.value.message
    assert _state(world) == before


def test_an_expression_failing_after_a_review_rolls_the_step_back(world: World, plan_data: dict[str, Any]) -> None:
    _deploy(world, samples.gateway_after_review("income_total / (expense_total - expense_total) > 1"))
    case_id = _start(world, plan_data)
    with world.sessions() as session:
        case = session.get(Case, case_id)
        stored = (case.state, case.version, dict(case.data))
    before = _state(world)
    with world.sessions() as session, pytest.raises(BaguanError) as error:
        with session.begin():
            task_id = session.scalar(select(HumanTask.id).where(HumanTask.status == "open"))
            cases.complete_task(session, world.user(session, "xh_sg"), task_id, "approve", "", {})
    assert "流程运行出错" in error.value.message
    assert _state(world) == before
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert (case.state, case.version, dict(case.data)) == stored
        assert audit.verify_chain(session).ok


def test_a_script_failing_at_start_stores_nothing(world: World) -> None:
    _deploy(world, samples.process(samples.script_task("ratio = 1 / 0")))
    before = _state(world)
    with pytest.raises(BaguanError):
        _start(world, {})
    assert _state(world) == before

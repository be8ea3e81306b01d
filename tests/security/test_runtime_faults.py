"""A diagram's expression failing at run time on the submitted numbers (overflow, a complex or infinite result)
is a 422 in Chinese that leaks no expression text and changes nothing (issue 11, 5)."""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import forms as form_lib
from engine.cases import operations as cases
from engine.errors import InvalidData
from engine.journal import AuditEvent
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import SourceFile

from ..conftest import World
from . import samples

GATEWAY_CONDITIONS = [
    "round(income_total * 1e308) > 1",
    "(expense_total - income_total) ** 0.5 > 1",
    "int(income_total * 1e308) > 1",
    "float('1e400') - float('1e400') > 1",
]
SCRIPTS = ["ratio = (0 - 1) ** 0.5", "ratio = 1e308 * 10", "ratio = float('nan')", "ratio = round(1e308 * 10)"]


def _deploy(world: World, document: str) -> None:
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", document.encode("utf-8"))], [], form_lib.load_forms())


def _state(world: World) -> tuple[Any, ...]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                [(t.bpmn_id, t.status) for t in session.scalars(select(HumanTask).order_by(HumanTask.id))],
                [(c.state, c.version) for c in session.scalars(select(Case).order_by(Case.id))])


@pytest.mark.parametrize("condition", GATEWAY_CONDITIONS)
def test_a_failing_gateway_condition_is_a_422_without_the_expression(
        condition: str, world: World, plan_data: dict[str, Any], login: Callable[[str], FlaskClient],
        tokens: Callable[[str], dict[str, str]]) -> None:
    _deploy(world, samples.gateway_after_review(condition))
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"),
                                "探针事项", plan_data)
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    client = login("xh_sg")
    tokens("xh_sg")
    before = _state(world)
    response = client.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意"})
    assert response.status_code == 422, response.get_data(as_text=True)[:500]
    _assert_hidden(response.get_data(as_text=True), condition)
    assert _state(world) == before
    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"decision": "approve", "comment": "同意"},
                           headers=tokens("xh_sg"))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_data"
    _assert_hidden(json.dumps(response.get_json(), ensure_ascii=False), condition)
    assert _state(world) == before


def _assert_hidden(body: str, condition: str) -> None:
    assert "流程条件无法计算" in body
    for secret in (condition, "1e308", "income_total", "Error evaluating"):
        assert secret not in body


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_script_producing_an_unstorable_number_stores_nothing(script: str, world: World) -> None:
    _deploy(world, samples.process(samples.script_task(script)))
    before = _state(world)
    with world.sessions() as session, pytest.raises(InvalidData) as error:
        with session.begin():
            cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"), "探针事项", {})
    assert "流程条件无法计算" in error.value.message and "ratio" not in error.value.message
    assert _state(world) == before

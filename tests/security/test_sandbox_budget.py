"""Every engine run has a budget, not only every expression (issue 11.3): each attack below passed deploy and ran
on the old code (a growing loop: 45.6 s and 59.7 MB of state for one case; nested literals: a 102 MB string);
now the case is refused with a Chinese error naming the element, and nothing is saved."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import forms as form_lib
from engine.cases import operations as cases
from engine.errors import InvalidData
from engine.journal import AuditEvent
from engine.runtime import budget as run_budget
from engine.runtime import deploy as deployment
from engine.runtime.budget import RunBudgetExceeded
from engine.runtime.models import Case, HumanTask
from engine.runtime.specs import SourceFile

from ..conftest import World
from . import samples


def growing_loop(rounds: int, items: int) -> str:
    """draft → init → grow (items += 300 entries) → gw: another round while count < rounds → review."""
    return samples.process(f'''<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="init"/>
  <bpmn:scriptTask id="init"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_init</bpmn:outgoing><bpmn:script>count = 0
items = []</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f_init" sourceRef="init" targetRef="grow"/>
  <bpmn:scriptTask id="grow" name="追加"><bpmn:incoming>f_init</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming><bpmn:outgoing>f_step</bpmn:outgoing><bpmn:script>items = items + ["条目"] * {items}
count += 1</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f_step" sourceRef="grow" targetRef="gw"/>
  <bpmn:exclusiveGateway id="gw" default="f_in"><bpmn:incoming>f_step</bpmn:incoming><bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="grow"><bpmn:conditionExpression>count &lt; {rounds}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_in" sourceRef="gw" targetRef="review"/>''')


NESTED_LITERALS = "\n".join([
    "a = ['x' * 1000] * 10",
    "b = [a, a, a, a, a, a, a, a, a, a]",
    "c = [b, b, b, b, b, b, b, b, b, b]",
    "d = [c, c, c, c, c, c, c, c, c, c]",
    "e = [d, d, d, d, d, d, d, d, d, d]",
    "f = [e, e, e, e, e, e, e, e, e, e]",
    "g = [f, f, f, f, f, f, f, f, f, f]",
    "h = [g, g, g, g, g, g, g, g, g, g]",
    "i = [h, h, h, h, h, h, h, h, h, h]",
    "j = [i, i, i, i, i, i, i, i, i, i]",
    "k = [j, j, j, j, j, j, j, j, j, j]",
    "s = str(k)",
])

HUGE_NUMBERS = "\n".join([
    "n = 2 ** 60", "n = n * n", "n = n * n", "n = n * n", "n = n * n", "n = n * n",
    "many = [n] * 90000", "s = str(many)",
])

MANY_BIG_VALUES = "\n".join(f"v{i} = 'x' * 99999" for i in range(40))


def deploy(world: World, document: str) -> None:
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", document.encode("utf-8"))], [], form_lib.load_forms())


def start(world: World) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"),
                                "探针事项", {}).id


def stored(world: World) -> tuple[int, int, int]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                session.scalar(select(func.count()).select_from(HumanTask)) or 0)


def refused(world: World, document: str) -> RunBudgetExceeded:
    deploy(world, document)
    before = stored(world)
    with pytest.raises(RunBudgetExceeded) as error:
        start(world)
    assert isinstance(error.value, InvalidData)
    assert "流程运行超出资源限制" in error.value.message and "事项未保存" in error.value.message
    assert stored(world) == before
    return error.value


def test_a_loop_that_grows_the_case_data_every_round_is_refused(world: World) -> None:
    error = refused(world, growing_loop(300, 300))
    assert error.message.startswith("元素 ")
    assert error.fields["element"] in ("grow", "gw")
    assert "数据总量" in error.message


def test_the_same_loop_with_a_few_small_rounds_still_runs(world: World) -> None:
    deploy(world, growing_loop(5, 10))
    case_id = start(world)
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.status == "running"
        assert len(cases.load_workflow(case).last_task.data["items"]) == 50


def test_nested_list_literals_cannot_build_a_huge_string(world: World) -> None:
    error = refused(world, samples.process(samples.script_task(NESTED_LITERALS)))
    assert error.fields == {"element": "calc"} and error.message.startswith("元素 calc：")
    assert "列表、字典或集合过大" in error.message


def test_str_of_many_huge_numbers_is_refused(world: World) -> None:
    error = refused(world, samples.process(samples.script_task(HUGE_NUMBERS)))
    assert error.fields == {"element": "calc"} and "结果过长" in error.message


def test_a_script_cannot_leave_oversized_case_data(world: World) -> None:
    error = refused(world, samples.process(samples.script_task(MANY_BIG_VALUES)))
    assert error.fields == {"element": "calc"} and "事项数据总量" in error.message


def test_the_serialized_state_of_a_case_is_limited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(world, samples.process())
    monkeypatch.setattr(run_budget, "MAX_STATE_CHARS", 2000)
    before = stored(world)
    with pytest.raises(RunBudgetExceeded) as error:
        start(world)
    assert "序列化后超过" in error.value.message
    assert stored(world) == before


def test_a_refused_case_is_a_chinese_422_on_the_web(world: World, client: FlaskClient,
                                                     tokens: Callable[[str], dict[str, str]]) -> None:
    deploy(world, samples.process(samples.script_task(NESTED_LITERALS)))
    headers = tokens("xh_staff")
    before = stored(world)
    response = client.post("/api/v1/cases", json={"process": "probe", "org": "XH", "title": "探针", "data": {}},
                           headers=headers)
    assert response.status_code == 422
    body: dict[str, Any] = response.get_json()["error"]
    assert body["code"] == "run_budget_exceeded"
    assert body["message"].startswith("元素 calc：流程运行超出资源限制")
    assert stored(world) == before


def test_a_standalone_expression_keeps_its_own_limits() -> None:
    from engine.errors import ExpressionError
    from engine.runtime.sandbox import evaluate
    with pytest.raises(ExpressionError):
        evaluate("[a, a, a, a, a, a, a, a, a, a, a]", {"a": "x" * 10_000})

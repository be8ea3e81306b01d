"""流程进度 (engine.cases.route.case_route): done steps with who and what, the current step with its named holders and
deadline, and the steps still to come along the diagram, with gateway-decided steps marked conditional."""
from __future__ import annotations

from typing import Any

from engine.cases.route import RouteState, RouteStep, SignMode, case_route
from engine.clock import beijing_today
from engine.review import proxies as proxies
from engine.runtime.models import Case

from ..conftest import World
from ..plan_walk import actor
from ..processes.helpers import act, start
from ..processes.test_academic_event import event
from ..processes.test_annual_plan_steps import FOREIGN_TASK


def route(world: World, case_id: int) -> list[RouteStep]:
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case_route(session, case)


def by_state(steps: list[RouteStep], state: RouteState) -> list[str]:
    return [s.bpmn_id for s in steps if s.state == state]


def test_a_fresh_plan_shows_the_road_ahead(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    steps = route(world, case_id)
    assert by_state(steps, RouteState.DONE) == ["draft"]
    [current] = [s for s in steps if s.state == RouteState.CURRENT]
    assert (current.bpmn_id, current.people, current.due_at is not None) == ("sg_review", ("测试xh_sg",), True)
    upcoming = [s for s in steps if s.state == RouteState.UPCOMING]
    assert [s.bpmn_id for s in upcoming] == ["finance_check", "party_review", "president_review", "council_meeting",
                                             "cast_filing"], "the filed data already rules out 外事会签"
    assert not any(s.conditional for s in upcoming)
    assert next(s for s in upcoming if s.bpmn_id == "party_review").people == ("测试xh_party",)
    assert next(s for s in upcoming if s.bpmn_id == "cast_filing").people == ("测试cast",)


def test_steps_behind_an_open_gateway_are_conditional(world: World) -> None:
    case_id = start(world, "academic_event", event())
    upcoming = [s for s in route(world, case_id) if s.state == RouteState.UPCOMING]
    conditional = {s.bpmn_id for s in upcoming if s.conditional}
    assert {"president_review", "incident_report"} <= conditional, "the scale table and the incident decide these"
    assert not next(s for s in upcoming if s.bpmn_id == "party_review").conditional
    report = next(s for s in upcoming if s.bpmn_id == "process_report")
    assert report.people == ("测试xh_staff",) and not report.conditional


def test_a_decided_gateway_drops_or_keeps_its_branch(world: World, plan_data: dict[str, Any]) -> None:
    plain = start(world, "annual_plan", plan_data)
    plan_data["key_tasks"].append(FOREIGN_TASK)
    foreign = start(world, "annual_plan", plan_data)
    for case_id in (plain, foreign):
        act(world, "xh_sg", case_id)
        act(world, "xh_finance", case_id, data=actor("finance_check")[1])
    plain_ahead = by_state(route(world, plain), RouteState.UPCOMING)
    assert "fa_countersign" not in plain_ahead and plain_ahead[0] == "president_review"
    foreign_steps = route(world, foreign)
    assert by_state(foreign_steps, RouteState.CURRENT) == ["fa_countersign"]
    assert not any(s.conditional for s in foreign_steps)


def test_done_steps_say_who_decided_what_and_for_whom(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    act(world, "xh_sg", case_id, comment="同意报送。")
    with world.sessions() as session, session.begin():
        proxies.set_proxy(session, world.user(session, "xh_finance"), "xh_fa", beijing_today(), beijing_today())
    act(world, "xh_fa", case_id, data=actor("finance_check")[1])
    steps = route(world, case_id)
    done = {s.bpmn_id: s for s in steps if s.state == RouteState.DONE}
    assert (done["sg_review"].people, done["sg_review"].decision, done["sg_review"].comment) == (
        ("测试xh_sg",), "approve", "同意报送。")
    assert done["finance_check"].people == ("测试xh_fa",) and done["finance_check"].on_behalf_of == "测试xh_finance"
    assert done["sg_review"].at is not None
    [current] = [s for s in steps if s.state == RouteState.CURRENT]
    assert current.bpmn_id == "party_review" and current.sign_mode == SignMode.SINGLE


def test_a_finished_case_has_nothing_ahead(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, "annual_plan", plan_data)
    act(world, "xh_sg", case_id, decision="reject", comment="不符合要求。")
    steps = route(world, case_id)
    assert [s.state for s in steps] == [RouteState.DONE, RouteState.DONE]
    assert steps[-1].decision == "reject"

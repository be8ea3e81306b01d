"""Item 11 — a 公示 ends when its period has run or when an objection is taken up; nobody closes it early.

Bypass: the 5-working-day award 公示 and a new branch's 公示 were closed as 无异议 one second after opening.
Now a human 同意 on a 公示 step (``publicNotice=true``) before its due time is refused with the time it ends,
unless it reports an objection; the worker's timeout ends it as 无异议. A branch 公示 takes objections like the
award 公示: 异议登记 → 受理判定 → 监事调查 → 书面反馈 → 重新表决或重新公示.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from engine.cases import worker
from engine.errors import Conflict, DeployRejected
from engine.runtime import deploy as deployment

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import act, add_member, open_step, open_tasks, start, steps
from ..processes.test_award_selection import notice_due, objection, scheme, to_notice
from ..processes.test_commendation_fee_branch import COUNCIL, PARTY, branch
from .notice_helpers import api_case, api_decide, error_text, open_task

EARLY = "公示期未满，不得提前结束"


def to_branch_notice(world: World, **changes: Any) -> int:
    case_id = start(world, "branch", branch(**changes))
    act(world, "xh_sg", case_id, data={"no_overlap": True, "host_checked": True})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_sg", case_id, data=COUNCIL)
    assert open_step(world, case_id) == "notice"
    return case_id


def open_task_id(world: World, case_id: int) -> int:
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        return task.id


def test_the_award_notice_cannot_be_closed_early_through_the_api(api: Api, world: World) -> None:
    case_id = to_notice(world, scheme())
    case = api_case(api, "xh_sg", case_id)
    refused = api_decide(api, "xh_sg", case, data={"objection_received": False})
    assert refused.status_code == 409
    assert EARLY in error_text(refused) and "北京时间" in error_text(refused) and "期满" in error_text(refused)
    assert open_step(world, case_id) == "notice_workdays"
    due, _ = notice_due(world, case_id)
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "standing_meeting"


def test_the_award_notice_cannot_be_closed_early_through_the_web_form(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    case_id = to_notice(world, scheme(notice_calendar_days=True))
    task_id = open_task_id(world, case_id)
    response = login("xh_sg").post(f"/tasks/{task_id}", data={"decision": "approve", "comment": ""})
    assert response.status_code == 409 and EARLY in error_text(response)
    assert open_step(world, case_id) == "notice_calendar"


def test_an_objection_received_during_the_award_notice_is_taken_up_at_once(api: Api, world: World) -> None:
    case_id = to_notice(world, scheme())
    case = api_case(api, "xh_sg", case_id)
    assert api_decide(api, "xh_sg", case, data={"objection_received": False}).status_code == 409
    taken_up = api_decide(api, "xh_sg", case, data={"objection_received": True})
    assert taken_up.status_code == 200 and open_task(taken_up.get_json())["step"] == "objection_intake"


def test_the_branch_notice_cannot_be_closed_early_through_the_api(api: Api, world: World) -> None:
    case_id = to_branch_notice(world)
    refused = api_decide(api, "xh_sg", api_case(api, "xh_sg", case_id), data={"objection_received": False})
    assert refused.status_code == 409 and EARLY in error_text(refused)
    assert open_step(world, case_id) == "notice"


def test_the_branch_notice_cannot_be_closed_early_through_the_web_form_or_batch_approval(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    case_id = to_branch_notice(world)
    task_id = open_task_id(world, case_id)
    client = login("xh_sg")
    response = client.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "", "notice_url": "http://x"})
    assert response.status_code == 409 and EARLY in error_text(response)
    assert client.post("/tasks/batch", data={"task_ids": [str(task_id)], "comment": "同意"}).status_code == 302
    assert open_step(world, case_id) == "notice"


def test_the_branch_notice_ends_by_itself_when_its_period_has_run(world: World) -> None:
    case_id = to_branch_notice(world)
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "establish"


def test_a_branch_notice_objection_is_investigated_and_the_notice_runs_again(world: World) -> None:
    add_member(world, "xh_supervisor", "supervisor")
    case_id = to_branch_notice(world)
    act(world, "xh_sg", case_id, data={"objection_received": True})
    assert open_step(world, case_id) == "objection_intake"
    act(world, "xh_sg", case_id, data={**objection(), "objection_target": "赵教授"})
    assert open_step(world, case_id) == "investigation"
    act(world, "xh_supervisor", case_id, data={"conclusion": "异议不成立", "list_changed": False, "findings": "经核实无误。"})
    act(world, "xh_staff", case_id, "submit", data={"feedback_date": "2027-06-10"})
    assert open_step(world, case_id) == "notice"
    with pytest.raises(Conflict):
        act(world, "xh_sg", case_id, data={"objection_received": False})
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "establish"


def test_an_upheld_branch_objection_goes_back_to_the_council_vote(world: World) -> None:
    add_member(world, "xh_supervisor", "supervisor")
    case_id = to_branch_notice(world)
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data={**objection(), "objection_target": "赵教授"})
    act(world, "xh_supervisor", case_id, data={"conclusion": "异议成立", "list_changed": True, "findings": "须调整负责人。"})
    act(world, "xh_staff", case_id, "submit", data={"feedback_date": "2027-06-10"})
    assert open_step(world, case_id) == "council_meeting"
    assert steps(world, case_id).count("notice") == 1


def test_an_anonymous_branch_objection_is_not_admitted_but_answered(world: World) -> None:
    case_id = to_branch_notice(world)
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data={**objection(named=False), "objection_target": "赵教授"})
    assert open_step(world, case_id) == "feedback"


def test_deploy_refuses_a_notice_without_a_period_that_ends_it(world: World) -> None:
    project = Path(__file__).resolve().parents[2]
    source = (project / "workflows" / "branch.bpmn").read_text(encoding="utf-8").replace(
        '<spiffworkflow:property name="onTimeout" value="approve"/><spiffworkflow:property name="timeoutData"',
        '<spiffworkflow:property name="timeoutData"')
    assert source.count('name="publicNotice"') == 1
    with world.sessions() as session, pytest.raises(DeployRejected) as refused:
        deployment.deploy(session, [deployment.SourceFile("branch.bpmn", source.encode())], [],
                          deployment.read_sources([project / "forms"])[2])
    assert any("publicNotice" in p and "notice" in p for p in refused.value.problems)

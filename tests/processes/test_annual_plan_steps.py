"""The 年度工作计划前置审查 (workflows/annual_plan.bpmn) step by step: finance check, foreign-affairs countersign
when the plan has foreign items, party pre-review, the president, the council's vote as a meeting, and the 科协
filing that ends by itself."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.cases import worker as worker

from ..conftest import World
from ..plan_walk import COUNCIL, FOREIGN_STEPS, STEPS, actor
from .helpers import act, meeting, open_step, open_tasks, start, status, steps

FOREIGN_TASK = {"category": "国际交流", "name": "国际学术会议", "month": 9, "foreign": True}


def to_council(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "annual_plan", data)
    while open_step(world, case_id) != "council_meeting":
        username, form = actor(open_step(world, case_id))
        act(world, username, case_id, data=form)
    return case_id


def test_plan_without_foreign_items(world: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(world, plan_data)
    case = act(world, "xh_sg", case_id, data=COUNCIL)
    assert case.data["meeting_result"]["passed"] is True and case.data["has_foreign_items"] is False
    act(world, "cast", case_id, data={"filing_number": "TAST-2027-001"})
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == STEPS


def test_foreign_items_add_the_foreign_affairs_countersign(world: World, plan_data: dict[str, Any]) -> None:
    plan_data["key_tasks"].append(FOREIGN_TASK)
    case_id = start(world, "annual_plan", plan_data)
    act(world, "xh_sg", case_id)
    act(world, "xh_finance", case_id, data={"budget_checked": True})
    assert open_step(world, case_id) == "fa_countersign"
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        assert (task.role, task.form_key) == ("foreign_affairs", "plan_fa_opinion")
    case = act(world, "xh_fa", case_id, data={"fa_opinion": "国际学术会议须另行报外办审批。"})
    assert case.data["fa_opinion"] == "国际学术会议须另行报外办审批。"
    assert open_step(world, case_id) == "party_review"
    act(world, "xh_party", case_id, data=actor("party_review")[1])
    act(world, "xh_president", case_id)
    act(world, "xh_sg", case_id, data=COUNCIL)
    act(world, "cast", case_id, data={"filing_number": "TAST-2027-002"})
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == FOREIGN_STEPS


def test_council_vote_that_fails_ends_the_plan(world: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(world, plan_data)
    failed = meeting(present=16, expected=21, votes_for=10, against=6, kind="常务理事会")
    case = act(world, "xh_sg", case_id, "return", comment="表决未通过，请修改后重新提交", data=failed)
    assert case.data["meeting_result"]["passed"] is False
    assert open_step(world, case_id) == "draft"


def test_filing_ends_by_itself_after_fifteen_working_days(world: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(world, plan_data)
    act(world, "xh_sg", case_id, data=COUNCIL)
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due + timedelta(seconds=1))
    assert status(world, case_id) == "completed"

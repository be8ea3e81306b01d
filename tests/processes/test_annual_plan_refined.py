"""The refined 年度工作计划前置审查 (tests/processes/annual_plan_refined.bpmn, ready to replace the foundation's
diagram once the other suites walk it): finance check, foreign-affairs countersign when the plan has foreign items,
party pre-review, the president, the council's vote as a meeting, and the 科协 filing that ends by itself."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import deploy as deployment
from engine import worker

from ..conftest import World
from .helpers import act, meeting, open_step, open_tasks, start, status, steps

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
PARTY = {"party_review_opinion": "政治方向正确。"}
COUNCIL = meeting(present=16, expected=21, votes_for=15, against=1, kind="常务理事会")


@pytest.fixture
def refined(world: World) -> World:
    with world.sessions() as session, session.begin():
        [result] = deployment.deploy(session, [deployment.SourceFile(
            "annual_plan.bpmn", (HERE / "annual_plan_refined.bpmn").read_bytes())], [],
            deployment.read_sources([PROJECT / "forms"])[2])
    assert (result.key, result.version) == ("annual_plan", 2)
    return world


def to_council(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "annual_plan", data)
    act(world, "xh_sg", case_id)
    act(world, "xh_finance", case_id, data={"budget_checked": True})
    if any(t.get("foreign") for t in data["key_tasks"]):
        act(world, "xh_fa", case_id, data={"fa_opinion": "涉外事项须另行报批。"})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id)
    return case_id


def test_plan_without_foreign_items(refined: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(refined, plan_data)
    act(refined, "xh_sg", case_id, data=COUNCIL)
    act(refined, "cast", case_id, data={"filing_number": "TAST-2027-001"})
    assert status(refined, case_id) == "completed"
    assert steps(refined, case_id) == ["draft", "sg_review", "finance_check", "party_review", "president_review",
                                       "council_meeting", "cast_filing"]


def test_foreign_items_add_the_foreign_affairs_countersign(refined: World, plan_data: dict[str, Any]) -> None:
    plan_data["key_tasks"].append({"category": "国际交流", "name": "国际学术会议", "month": 9, "foreign": True})
    case_id = to_council(refined, plan_data)
    assert steps(refined, case_id)[3] == "fa_countersign"
    assert open_step(refined, case_id) == "council_meeting"


def test_council_vote_that_fails_ends_the_plan(refined: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(refined, plan_data)
    failed = meeting(present=16, expected=21, votes_for=10, against=6, kind="常务理事会")
    case = act(refined, "xh_sg", case_id, "return", comment="表决未通过，请修改后重新提交", data=failed)
    assert case.data["meeting_result"]["passed"] is False
    assert open_step(refined, case_id) == "draft"


def test_filing_ends_by_itself_after_fifteen_working_days(refined: World, plan_data: dict[str, Any]) -> None:
    case_id = to_council(refined, plan_data)
    act(refined, "xh_sg", case_id, data=COUNCIL)
    with refined.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(refined.sessions, now=due + timedelta(seconds=1))
    assert status(refined, case_id) == "completed"

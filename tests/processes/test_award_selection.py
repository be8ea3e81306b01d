"""奖项评选与人才举荐: scheme and list political reviews, the jury as a meeting, the notice period that ends by
itself (working or calendar days), and the objection loop: only named, in-time objections are accepted, the list
cannot go to approval while an objection is open, and a changed list is re-deliberated and re-published."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.cases import worker as worker
from engine.errors import InvalidData

from ..conftest import World
from .helpers import (
    act,
    add_member,
    decisions,
    meeting,
    open_step,
    open_tasks,
    start,
    status,
    steps,
)

PARTY = {"party_review_opinion": "政治表现、学风师德无问题。"}
JURY = meeting(present=9, expected=11, votes_for=7, against=1, abstain=0, recusals=["候选人同单位专家"], kind="评审委员会")


def scheme(**changes: Any) -> dict[str, Any]:
    data = {"selection_type": "学会奖项评选", "award_name": "青年科技奖", "approval_no": "津评保〔2025〕7号",
            "year": 2027, "quota": 5, "scheme": "专家评审，差额遴选。", "notice_calendar_days": False,
            "candidates": [{"name": "孙博士", "affiliation": "某研究院", "recommend_way": "单位推荐"}]}
    return {**data, **changes}


def objection(named: bool = True, in_time: bool = True, level: bool = False) -> dict[str, Any]:
    return {"objection_no": "YY-01", "received_date": "2027-06-03", "objector_named": named,
            "received_in_time": in_time, "about_level_only": level, "objection_target": "孙博士",
            "objection_content": "论文数据存疑。"}


def to_notice(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "award_selection", data)
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_staff", case_id, "submit", data={"accepted_count": 8, "rejected_count": 1})
    act(world, "xh_president", case_id, data=JURY)
    act(world, "xh_party", case_id, data=PARTY)
    return case_id


def notice_due(world: World, case_id: int) -> Any:
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        assert row.bpmn_id.startswith("notice_") and row.due_at is not None
        return row.due_at, row.created_at


def test_notice_ends_by_itself_and_the_standing_council_approves(world: World) -> None:
    case_id = to_notice(world, scheme())
    due, _ = notice_due(world, case_id)
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "standing_meeting"
    act(world, "xh_sg", case_id, data=meeting(present=15, expected=21, votes_for=14, against=1, kind="常务理事会"))
    act(world, "cast", case_id, data={"filing_number": "TAST-JX-01"})
    assert status(world, case_id) == "completed"


def test_science_award_notice_counts_seven_calendar_days(world: World) -> None:
    case_id = to_notice(world, scheme(notice_calendar_days=True))
    due, created = notice_due(world, case_id)
    assert due - created == timedelta(days=7)
    assert open_step(world, case_id) == "notice_calendar"


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"named": False}, "匿名"), ({"in_time": False}, "逾期"), ({"level": True}, "等级")])
def test_anonymous_late_or_level_objections_are_not_accepted(world: World, kwargs: dict[str, bool], reason: str) -> None:
    case_id = to_notice(world, scheme())
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data=objection(**kwargs))
    result = decisions(world, case_id)[-1].result
    assert result["admissible"] is False and reason in result["admissibility_reason"]
    assert open_step(world, case_id) == "feedback"
    act(world, "xh_staff", case_id, "submit", data={"feedback_date": "2027-06-05"})
    assert open_step(world, case_id) == "notice_workdays"


def test_an_upheld_objection_sends_the_list_back_to_the_jury_and_a_new_notice(world: World) -> None:
    add_member(world, "xh_supervisor", "supervisor")
    case_id = to_notice(world, scheme())
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data=objection())
    assert open_step(world, case_id) == "investigation"
    assert "standing_meeting" not in steps(world, case_id)
    act(world, "xh_supervisor", case_id, data={"conclusion": "异议成立", "list_changed": True, "findings": "数据有误。"})
    act(world, "xh_staff", case_id, "submit", data={"feedback_date": "2027-06-10"})
    assert open_step(world, case_id) == "jury_meeting"
    act(world, "xh_president", case_id, data=JURY)
    act(world, "xh_party", case_id, data=PARTY)
    due, _ = notice_due(world, case_id)
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "standing_meeting"


def test_a_rejected_objection_keeps_the_list_and_the_notice_runs_again(world: World) -> None:
    add_member(world, "xh_supervisor", "supervisor")
    case_id = to_notice(world, scheme())
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data=objection())
    act(world, "xh_supervisor", case_id, data={"conclusion": "异议不成立", "list_changed": False, "findings": "经核实无误。"})
    act(world, "xh_staff", case_id, "submit", data={"feedback_date": "2027-06-10"})
    assert open_step(world, case_id) == "notice_workdays"
    due, _ = notice_due(world, case_id)
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "standing_meeting"


def test_talent_recommendation_is_confirmed_by_the_president_and_submitted(world: World) -> None:
    case_id = to_notice(world, scheme(selection_type="人才举荐", source_notice="中国科协通知"))
    due, _ = notice_due(world, case_id)
    worker.run_due(world.sessions, now=due)
    act(world, "xh_president", case_id)
    act(world, "xh_staff", case_id, "submit", data={"submitted_to": "中国科协", "submitted_date": "2027-07-01"})
    assert status(world, case_id) == "completed"


def test_a_society_award_needs_its_approval_number(world: World) -> None:
    data = scheme()
    del data["approval_no"]
    with pytest.raises(InvalidData) as refused:
        start(world, "award_selection", data)
    assert "approval_no" in refused.value.fields


def test_the_jury_vote_and_political_list_review_cannot_be_skipped_by_time(world: World) -> None:
    case_id = to_notice(world, scheme())
    assert steps(world, case_id)[:6] == ["draft", "sg_review", "party_scheme_review", "formal_review",
                                          "jury_meeting", "party_list_review"]

"""学术活动备案 with the five gates: entry (入口关), process (过程关), publicity (宣传关), incident (处置关) and
accountability (问责关); an international meeting is sent to the foreign-cooperation process."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine.cases import worker as worker
from engine.db import utcnow
from engine.errors import InvalidData
from engine.workdays import add_working_days

from ..conftest import World
from ..integrity.helpers import fee_filing
from .helpers import act, decisions, open_step, open_tasks, start, status, steps

PARTY = {"party_review_opinion": "主讲人政治立场可靠，议题无不当内容。"}
PROCESS_OK = {"actual_attendance": 80, "speakers_match": True, "incident": False}
SUMMARY = {"results": "交流论文 12 篇。", "ideology_assessment": "导向正确，无异常。"}


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def event(**changes: Any) -> dict[str, Any]:
    data = {"event_name": "智能制造青年学者沙龙", "event_type": "沙龙", "organizer_dept": "学术部", "theme": "工业软件",
            "outline": "一、工业软件现状；二、研讨。", "event_form": "线下", "start_date": in_days(30),
            "venue": "学会报告厅", "speakers": [{"name": "王教授", "affiliation": "天津大学", "topic": "工业软件",
                                                 "background_check": "已核查无异常"}],
            "audience": "会员", "expected_count": 80, "public_event": False, "foreign_involved": False,
            "countries_count": 1, "officials_invited": False, "charges": False, "budget": 5000,
            "publicity": "不宣传", "live": False, "onsite_lead": "李秘书", "risk_level": "低", "organizer_pledge": True,
            "forced_contribution": False, "nominal_participation": False}
    return {**data, **changes}


def through_entry_gate(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "academic_event", data)
    act(world, "xh_sg", case_id)
    if data["foreign_involved"]:
        act(world, "xh_fa", case_id, data={"fa_opinion": "境外主讲人无异常。"})
    act(world, "xh_party", case_id, data=PARTY)
    return case_id


def after_the_event(world: World, case_id: int, process: dict[str, Any] | None = None) -> None:
    act(world, "xh_staff", case_id, "submit", data=process or PROCESS_OK)


def close(world: World, case_id: int) -> None:
    act(world, "xh_staff", case_id, "submit", data=SUMMARY)
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data={"violation_found": False})


def test_small_internal_event_passes_all_five_gates(world: World) -> None:
    case_id = through_entry_gate(world, event())
    assert decisions(world, case_id)[0].result == {"event_scale": "normal"}
    assert open_step(world, case_id) == "process_report"
    after_the_event(world, case_id)
    close(world, case_id)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == ["draft", "sg_review", "party_review", "process_report", "summary", "sg_confirm",
                                     "party_confirm"]


@pytest.mark.parametrize(("changes", "scale"), [
    ({"expected_count": 199}, "normal"), ({"expected_count": 200}, "big"), ({"public_event": True}, "big"),
    ({"officials_invited": True}, "big"), ({"charges": True}, "big")])
def test_scale_rules(world: World, changes: dict[str, Any], scale: str) -> None:
    if changes.get("charges"):
        changes = {**changes, "fee_filing_no": fee_filing(world)}
    case_id = through_entry_gate(world, event(**changes))
    assert decisions(world, case_id)[0].result == {"event_scale": scale}
    assert open_step(world, case_id) == ("president_review" if scale == "big" else "process_report")


def test_large_foreign_event_with_publicity_and_an_incident(world: World) -> None:
    data = event(expected_count=300, foreign_involved=True, countries_count=2, start_date=in_days(40),
                 publicity="微信公众号")
    case_id = through_entry_gate(world, data)
    act(world, "xh_president", case_id)
    act(world, "cast", case_id, data={"filing_number": "TAST-HD-2027-05"})
    assert open_step(world, case_id) == "publicity_review"
    act(world, "xh_sg", case_id, data={"materials": "海报、预告推文", "publicity_approved": True})
    after_the_event(world, case_id, {"actual_attendance": 280, "speakers_match": False, "incident": True,
                                     "incident_summary": "一名听众发表不当言论。"})
    assert open_step(world, case_id) == "incident_report"
    act(world, "xh_sg", case_id, "submit", data={"measures": "当场制止，删除直播回放片段。",
                                                   "reported_at": in_days(40), "reported_to_cast": True})
    act(world, "xh_staff", case_id, "submit", data=SUMMARY)
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data={"violation_found": True, "accountability": [
        {"person": "现场负责人", "situation": "未及时制止", "measure": "诫勉谈话"}]})
    assert status(world, case_id) == "completed"
    assert steps(world, case_id)[2:6] == ["fa_review", "party_review", "president_review", "cast_filing"]


def test_cast_filing_of_a_large_event_is_accepted_when_its_period_ends(world: World) -> None:
    case_id = through_entry_gate(world, event(public_event=True))
    act(world, "xh_president", case_id)
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due)
    assert open_step(world, case_id) == "process_report"


def test_three_countries_make_an_international_meeting_for_process_five(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", event(foreign_involved=True, countries_count=3, start_date=in_days(60)))
    assert "境外合作/国际会议" in refused.value.fields["countries_count"]


def test_lead_time_is_checked_in_working_days(world: World) -> None:
    too_soon = add_working_days(utcnow(), 4).date().isoformat()
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", event(start_date=too_soon))
    assert "提前 5 个工作日" in refused.value.fields["start_date"]
    foreign_soon = add_working_days(utcnow(), 8).date().isoformat()
    with pytest.raises(InvalidData):
        start(world, "academic_event", event(start_date=foreign_soon, foreign_involved=True, countries_count=2))
    assert open_step(world, start(world, "academic_event", event(start_date=foreign_soon))) == "sg_review"


def test_a_charged_event_needs_its_fee_filing(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", event(charges=True))
    assert "经营服务性收费备案" in refused.value.fields["fee_filing_no"]


def test_the_political_gate_can_send_the_event_back_to_the_organiser(world: World) -> None:
    case_id = start(world, "academic_event", event())
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, "return", comment="请更换主讲人并补充背景核查")
    assert open_step(world, case_id) == "draft"

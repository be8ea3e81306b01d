"""境外合作/国际会议: foreign-affairs and party review, the DMN level, 科协 approval, the 市外办 step for an
international meeting, lead-time refusals and the post-event summary."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine.errors import InvalidData

from ..conftest import World
from .helpers import act, decisions, meeting, open_step, start, status, steps

FA = {"partner_checked": True, "one_china_checked": True, "fa_opinion": "合作方资质合规。"}
SUMMARY = {"actual_count": 150, "actual_countries": 4, "outcomes": "签署合作备忘录。", "sensitive_issue": False}


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def matter(**changes: Any) -> dict[str, Any]:
    data = {"matter_type": "国际会议", "name_cn": "2027 天津先进制造国际学术会议",
            "name_en": "2027 Tianjin International Conference on Advanced Manufacturing",
            "partners": [{"name": "某国机械工程师学会", "country": "德国", "nature": "国际组织"}],
            "start_date": in_days(150), "days": 3, "venue": "天津", "outside_tianjin": False, "total_count": 200,
            "foreign_count": 60, "countries_count": 5, "taiwan_hk_macao": False, "ministerial": False,
            "theme": "先进制造学术交流。", "budget": 30000, "ngo_involved": False, "exhibition": False,
            "field_visit": False, "forced_contribution": False, "nominal_participation": False}
    return {**data, **changes}


def to_level(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "foreign_cooperation", data)
    act(world, "xh_sg", case_id)
    act(world, "xh_fa", case_id, data=FA)
    act(world, "xh_party", case_id, data={"party_review_opinion": "无政治敏感问题。"})
    return case_id


def finish(world: World, case_id: int) -> None:
    act(world, "xh_staff", case_id, "submit", data=SUMMARY)
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id)
    act(world, "cast", case_id, data={"filing_number": "TAST-WS-01"})


def test_international_meeting_runs_through_cast_and_the_foreign_affairs_office(world: World) -> None:
    case_id = to_level(world, matter())
    assert decisions(world, case_id)[0].result == {"foreign_level": "president"}
    act(world, "xh_president", case_id)
    act(world, "cast", case_id, data={"approval_number": "津科协批〔2027〕3号"})
    assert open_step(world, case_id) == "fao_approval"
    act(world, "cast", case_id, data={"fao_number": "津外办〔2027〕15号"})
    finish(world, case_id)
    assert status(world, case_id) == "completed"


def test_bilateral_cooperation_skips_the_foreign_affairs_office(world: World) -> None:
    case_id = to_level(world, matter(matter_type="境外合作项目", countries_count=2, start_date=in_days(20)))
    act(world, "xh_president", case_id)
    act(world, "cast", case_id, data={"approval_number": "津科协批〔2027〕4号"})
    assert open_step(world, case_id) == "post_summary"
    finish(world, case_id)
    assert "fao_approval" not in steps(world, case_id)


@pytest.mark.parametrize(("changes", "level", "step"), [
    ({"budget": 49999}, "president", "president_review"), ({"budget": 50000}, "meeting", "president_meeting"),
    ({"matter_type": "合作协议", "countries_count": 2}, "standing", "standing_meeting")])
def test_levels(world: World, changes: dict[str, Any], level: str, step: str) -> None:
    case_id = to_level(world, matter(**changes))
    assert decisions(world, case_id)[0].result == {"foreign_level": level}
    assert open_step(world, case_id) == step


def test_meeting_level_records_the_presidents_office_vote(world: World) -> None:
    case_id = to_level(world, matter(budget=80000))
    act(world, "xh_president", case_id, data=meeting())
    assert open_step(world, case_id) == "cast_approval"


@pytest.mark.parametrize(("changes", "days"), [
    ({}, 90), ({"foreign_count": 301}, 180), ({"ministerial": True}, 180),
    ({"ngo_involved": True, "partners": [{"name": "某基金会", "country": "美国", "nature": "境外非政府组织",
                                          "registration_no": "津公境临备〔2027〕0012号"}]}, 240)])
def test_lead_times_of_international_meetings(world: World, changes: dict[str, Any], days: int) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "foreign_cooperation", matter(start_date=in_days(days - 1), **changes))
    assert f"至少提前 {days} 天" in refused.value.fields["start_date"]
    assert open_step(world, start(world, "foreign_cooperation", matter(start_date=in_days(days), **changes))) == "sg_review"


def test_foreign_affairs_can_refuse(world: World) -> None:
    case_id = start(world, "foreign_cooperation", matter())
    act(world, "xh_sg", case_id)
    case = act(world, "xh_fa", case_id, "reject", comment="合作方称谓涉及“两个中国”问题")
    assert case.status == "rejected"

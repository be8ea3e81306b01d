"""Item 9 — 涉外 is computed from every foreign field of the form, not taken from the 涉外 box.

Bypass: a speaker marked 境外人员, participants from 2 countries and an audience 含境外人员 with the box unticked
went straight to the party review with no 外事审核. Now ``foreign_matter`` is computed at filing from the speakers,
participants, audience, partners, donors, co-hosts and plan items; the box can only add, never remove.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from engine.db import utcnow
from engine.errors import InvalidData
from engine.workdays import add_working_days

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import act, open_step, start
from .notice_helpers import (
    api_case,
    api_decide,
    api_file,
    in_days,
    open_task,
    web_case_id,
    web_file,
)

PARTY = {"party_review_opinion": "同意。"}


def event(**changes: Any) -> dict[str, Any]:
    data = {"event_name": "智能制造青年学者沙龙", "event_type": "沙龙", "organizer_dept": "学术部", "theme": "工业软件",
            "outline": "一、工业软件现状；二、研讨。", "event_form": "线下", "start_date": in_days(40),
            "venue": "学会报告厅", "speakers": [{"name": "王教授", "affiliation": "天津大学", "topic": "工业软件",
                                                 "background_check": "已核查无异常"}],
            "audience": "会员", "expected_count": 80, "public_event": False, "foreign_involved": False,
            "countries_count": 1, "officials_invited": False, "charges": False, "budget": 5000,
            "publicity": "不宣传", "live": False, "onsite_lead": "李秘书", "risk_level": "低", "organizer_pledge": True,
            "forced_contribution": False, "nominal_participation": False}
    return {**data, **changes}


FOREIGN_SPEAKER = {"name": "Prof. Smith", "affiliation": "某国大学", "topic": "数字孪生", "foreign": True,
                   "background_check": "已核查无异常"}
THE_REPORTED_CASE = {"speakers": [FOREIGN_SPEAKER], "countries_count": 2, "audience": "含境外人员"}


def test_the_reported_event_goes_to_the_foreign_affairs_review_through_the_api(api: Api) -> None:
    response = api_file(api, "academic_event", event(**THE_REPORTED_CASE))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["data"]["foreign_matter"] is True and case["data"]["foreign_involved"] is False
    assert len(case["data"]["foreign_reasons"]) == 3
    case = api_decide(api, "xh_sg", case).get_json()
    assert open_task(case)["step"] == "fa_review"


def test_the_reported_event_goes_to_the_foreign_affairs_review_through_the_web_form(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    case_id = web_file(client, "academic_event", event(**THE_REPORTED_CASE))
    case_id = web_case_id(case_id)
    act(world, "xh_sg", case_id)
    assert open_step(world, case_id) == "fa_review"
    page = login("xh_fa").get(f"/cases/{case_id}").get_data(as_text=True)
    assert "系统判定涉外" in page and "参加人员含境外人员" in page


@pytest.mark.parametrize("changes", [
    {"speakers": [FOREIGN_SPEAKER]},
    {"speakers": [{**FOREIGN_SPEAKER, "foreign": False, "nationality": "美国"}]},
    {"speakers": [{**FOREIGN_SPEAKER, "foreign": False, "nationality": "中国香港"}]},
    {"countries_count": 2},
    {"audience": "含境外人员"},
    {"foreign_parties": [{"name": "某国大学", "country": "德国", "nature": "高校", "role": "协办"}]},
    {"foreign_involved": True},
], ids=["speaker-marked", "speaker-nationality", "speaker-hong-kong", "two-countries", "audience", "co-organiser",
        "box"])
def test_each_foreign_field_alone_sends_an_event_to_the_foreign_affairs_review(world: World,
                                                                                changes: dict[str, Any]) -> None:
    case_id = start(world, "academic_event", event(**changes))
    act(world, "xh_sg", case_id)
    assert open_step(world, case_id) == "fa_review"


def test_a_domestic_event_still_skips_the_foreign_affairs_review(world: World) -> None:
    case_id = start(world, "academic_event", event(speakers=[{**FOREIGN_SPEAKER, "foreign": False,
                                                               "nationality": "中国"}]))
    act(world, "xh_sg", case_id)
    assert open_step(world, case_id) == "party_review"


def test_the_foreign_lead_time_follows_the_computed_answer_not_the_box(world: World) -> None:
    soon = add_working_days(utcnow(), 7).date().isoformat()
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", event(start_date=soon, speakers=[FOREIGN_SPEAKER]))
    assert "涉外活动须提前 10 个工作日" in refused.value.fields["start_date"]


@pytest.mark.parametrize("changes", [
    {"donor_is_foreign_ngo": True, "ngo_temp_filing_no": "津公境临备〔2027〕0012号"},
    {"donor_region": "中国香港"},
], ids=["foreign-ngo", "hong-kong"])
def test_a_foreign_donor_marked_as_a_domestic_organisation_goes_to_the_foreign_affairs_review(
        world: World, changes: dict[str, Any]) -> None:
    gift = {"donor_type": "境内法人或其他组织", "donor_name": "某基金会", "donor_id_code": "X-1", "donor_region": "天津",
            "donation_form": "货币",
            "currency": "人民币", "amount": 10000, "amount_cny": 10000, "restricted": "非限定性", "purpose": "学术活动",
            "conditions": "无", "naming_or_award": False, "benefit_return": False, "relationship": "无",
            "dd_risk": "低", "dd_summary": "已核查登记状态。", "disclosure": "官网"}
    case_id = start(world, "donation", {**gift, **changes})
    act(world, "xh_sg", case_id)
    assert open_step(world, case_id) == "fa_review"


def test_an_international_plan_item_without_the_box_gets_the_foreign_affairs_countersign(
        world: World, plan_data: dict[str, Any]) -> None:
    plan_data["key_tasks"].append({"category": "国际交流", "name": "中德智能制造论坛", "month": 9})
    case_id = start(world, "annual_plan", plan_data)
    act(world, "xh_sg", case_id)
    act(world, "xh_finance", case_id, data={"budget_checked": True})
    assert open_step(world, case_id) == "fa_countersign"


def test_the_computed_answer_is_shown_to_the_reviewers(api: Api) -> None:
    case = api_file(api, "academic_event", event(countries_count=2)).get_json()
    assert api_case(api, "xh_sg", case["id"])["data"]["foreign_reasons"] == ["参会者来自 2 个国家和地区"]

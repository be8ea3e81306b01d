"""评比达标表彰活动申报, 经营服务性收费备案 and 分支机构设立: their paths and refusals."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.cases import worker as worker
from engine.errors import InvalidData

from ..conftest import World
from .helpers import (
    act,
    decisions,
    meeting,
    open_step,
    open_tasks,
    start,
    status,
    steps,
)

PARTY = {"party_review_opinion": "同意。"}
COUNCIL = meeting(present=30, expected=40, votes_for=25, against=3, abstain=2, kind="理事会")


def commendation(**changes: Any) -> dict[str, Any]:
    data = {"project_name": "天津市机械工程学会青年科技奖", "project_nature": "新设", "category": "科技奖",
            "basis": "章程第十条", "targets": "个人", "scope": "会员", "for_students": False, "cycle": "每两年",
            "quota": "每届不超过 10 名", "criteria": "形式审查、专家评审、公示 7 天、受理实名异议。", "funding": "会费",
            "charges_candidates": False, "uses_tianjin_name": False}
    return {**data, **changes}


def fee(**changes: Any) -> dict[str, Any]:
    data = {"fee_name": "继续教育培训费", "fee_category": "培训费", "change_type": "调整", "service": "专业技术培训",
            "audience": "会员和非会员", "charges_enterprises": False, "mandatory": False, "amount": 1150,
            "previous_amount": 1000, "unit": "元/人/次", "pricing": "市场调节价", "basis": "财规〔2000〕47号",
            "effective_date": "2027-05-01", "phone": "022-12345678"}
    return {**data, **changes}


def branch(**changes: Any) -> dict[str, Any]:
    data = {"branch_name": "天津市机械工程学会增材制造专业委员会", "parent_unit": "学会", "branch_type": "专业委员会",
            "business_scope": "增材制造学术交流", "necessity": "会员需求旺盛。",
            "host_units": [{"name": "某大学", "credit_code": "12120000401359321Q", "group_member": True}],
            "leaders": [{"post": "主任委员", "name": "赵教授", "affiliation": "某大学教授", "political_status": "中共党员"}],
            "members_list": "委员名单.pdf（秘书处存档）", "experts": "学术带头人 3 名。", "funding": "会费及服务收入",
            "address": "天津市南开区", "authorised_scope": "学术交流、科普", "preparatory": False,
            "needs_upper_party_review": False}
    return {**data, **changes}


def test_new_commendation_goes_through_the_standing_council_and_cast_approval(world: World) -> None:
    case_id = start(world, "commendation", commendation())
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id, data=meeting())
    act(world, "xh_sg", case_id, data=meeting(present=15, expected=21, votes_for=12, against=3, kind="常务理事会"))
    act(world, "cast", case_id, data={"approval_number": "津评组〔2027〕2号"})
    assert status(world, case_id) == "completed"
    assert steps(world, case_id)[-2:] == ["standing_meeting", "cast_approval"]


def test_an_approved_commendation_held_this_year_is_only_filed(world: World) -> None:
    case_id = start(world, "commendation", commendation(project_nature="已批准年度开展", approval_no="保留目录 123"))
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id, data=meeting())
    assert open_step(world, case_id) == "cast_filing"
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due)
    assert status(world, case_id) == "completed"


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"charges_candidates": True}, "charges_candidates", "国评组发〔2012〕2号"),
    ({"co_hosts": [{"name": "某国际协会", "foreign": True}]}, "co_hosts", "不得与境外组织合作举办"),
    ({"uses_tianjin_name": True}, "tianjin_name_approval", "天津市名义"),
    ({"project_nature": "已批准年度开展"}, "approval_no", "必填")])
def test_commendation_refusals(world: World, changes: dict[str, Any], field: str, reason: str) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "commendation", commendation(**changes))
    assert reason in refused.value.fields[field]


@pytest.mark.parametrize(("changes", "level"), [
    ({}, "president"), ({"amount": 1200}, "president"), ({"amount": 1201}, "meeting"),
    ({"change_type": "新增", "previous_amount": 0}, "meeting"), ({"charges_enterprises": True}, "meeting")])
def test_fee_levels(world: World, changes: dict[str, Any], level: str) -> None:
    case_id = start(world, "fee_filing", fee(**changes))
    act(world, "xh_finance", case_id, data={"cost_checked": True})
    act(world, "xh_sg", case_id)
    assert decisions(world, case_id)[0].result == {"fee_level": level}


def test_fee_filing_is_published_after_the_cast_filing(world: World) -> None:
    case_id = start(world, "fee_filing", fee(change_type="新增", previous_amount=0))
    act(world, "xh_finance", case_id, data={"cost_checked": True})
    act(world, "xh_sg", case_id)
    act(world, "xh_president", case_id, data=meeting())
    act(world, "cast", case_id, data={"filing_number": "TAST-SF-001"})
    act(world, "xh_staff", case_id, "submit", data={"publish_url": "https://example.org/fees", "publish_date": "2027-05-01"})
    assert status(world, case_id) == "completed"


def test_mandatory_fees_are_refused(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "fee_filing", fee(mandatory=True))
    assert "强制" in refused.value.fields["mandatory"]


def test_branch_is_voted_by_the_council_published_established_and_filed(world: World) -> None:
    case_id = start(world, "branch", branch())
    act(world, "xh_sg", case_id, data={"no_overlap": True, "host_checked": True})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_sg", case_id, data=COUNCIL)
    assert open_step(world, case_id) == "notice"
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        due = row.due_at
    assert due is not None
    worker.run_due(world.sessions, now=due)
    act(world, "xh_sg", case_id, data={"establish_number": "机学发〔2027〕8号"})
    act(world, "cast", case_id, data={"filing_number": "TAST-FZ-01"})
    assert status(world, case_id) == "completed"


def test_branch_council_vote_needs_quorum_and_minutes(world: World) -> None:
    case_id = start(world, "branch", branch(needs_upper_party_review=True, preparatory=True))
    act(world, "xh_sg", case_id, data={"no_overlap": True, "host_checked": True})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "cast_party", case_id, data={"upper_conclusion": "拟任负责人政治审核合格。"})
    no_minutes = {k: v for k, v in COUNCIL.items() if k != "minutes_ref"}
    with pytest.raises(InvalidData) as refused:
        act(world, "xh_sg", case_id, data=no_minutes)
    assert "minutes_ref" in refused.value.fields
    with pytest.raises(InvalidData):
        act(world, "xh_sg", case_id, data={**COUNCIL, "present_count": 26, "votes_for": 20, "votes_against": 6,
                                            "votes_abstain": 0})
    act(world, "xh_sg", case_id, data=COUNCIL)
    assert open_step(world, case_id) == "prep_assessment"
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        assert row.due_at is not None and (row.due_at - row.created_at) == timedelta(days=365)


def test_branch_name_with_forbidden_words_is_refused(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "branch", branch(branch_name="中国增材制造专业委员会"))
    assert "中国" in refused.value.fields["branch_name"]

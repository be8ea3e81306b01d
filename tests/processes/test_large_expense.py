"""大额经费开支: the DMN amount tiers, related-party and out-of-budget escalation, split payments."""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InvalidData

from ..conftest import World
from .helpers import act, decisions, meeting, open_step, start, status, steps

FINANCE_OK = {"budget_balance_ok": True, "fund_source_ok": True}
PAID = {"voucher_number": "PZ-001", "paid_amount": 1000, "paid_date": "2027-03-10"}


def expense(amount: float, payee: str = "91120000MA05ABCD1X", in_budget: bool = True,
            related: bool = False) -> dict[str, Any]:
    return {"item_name": "学术年会会场租赁", "category": "会议费", "amount": amount, "in_budget": in_budget,
            "fund_source": "会费", "payee_name": "天津某会展公司", "payee_code": payee, "related_party": related,
            "procurement": "询价比价", "reason": "举办年度学术年会。", "planned_date": "2027-03-10"}


def through_sg(world: World, data: dict[str, Any]) -> int:
    case_id = start(world, "large_expense", data)
    act(world, "xh_finance", case_id, data=FINANCE_OK)
    act(world, "xh_sg", case_id)
    return case_id


def tier_of(world: World, case_id: int) -> str:
    [decision] = decisions(world, case_id)
    return str(decision.result["expense_tier"])


@pytest.mark.parametrize(("amount", "tier", "next_step"), [
    (9999.99, "sg", "payment"),
    (10000, "president", "president_review"),
    (49999.99, "president", "president_review"),
    (50000, "meeting", "party_review"),
    (199999.99, "meeting", "party_review"),
    (200000, "standing", "party_review"),
])
def test_amount_tiers_at_their_boundaries(world: World, amount: float, tier: str, next_step: str) -> None:
    case_id = through_sg(world, expense(amount))
    assert tier_of(world, case_id) == tier
    assert open_step(world, case_id) == next_step


def test_small_expense_is_approved_by_the_secretary_general_alone(world: World) -> None:
    case_id = through_sg(world, expense(3000))
    act(world, "xh_finance", case_id, data=PAID)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == ["draft", "finance_check", "sg_review", "payment"]


def test_president_tier_runs_through_the_president(world: World) -> None:
    case_id = through_sg(world, expense(20000))
    act(world, "xh_president", case_id)
    act(world, "xh_finance", case_id, data=PAID)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id)[-2:] == ["president_review", "payment"]


def test_large_expense_needs_party_review_and_the_presidents_office_meeting(world: World) -> None:
    case_id = through_sg(world, expense(80000))
    act(world, "xh_party", case_id, data={"party_review_opinion": "用途符合宗旨，无利益输送。"})
    act(world, "xh_president", case_id, data=meeting())
    act(world, "xh_finance", case_id, data=PAID)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id)[3:] == ["party_review", "president_meeting", "payment"]


def test_standing_council_follows_for_the_largest_amounts(world: World) -> None:
    case_id = through_sg(world, expense(250000))
    act(world, "xh_party", case_id, data={"party_review_opinion": "同意提交会议研究。"})
    act(world, "xh_president", case_id, data=meeting())
    assert open_step(world, case_id) == "standing_meeting"
    act(world, "xh_sg", case_id, data=meeting(present=15, expected=21, votes_for=10, against=0, abstain=0,
                                              kind="常务理事会"))
    act(world, "xh_finance", case_id, data=PAID)
    assert status(world, case_id) == "completed"


def test_related_party_goes_to_the_standing_council_whatever_the_amount(world: World) -> None:
    case_id = through_sg(world, expense(5000, related=True))
    assert tier_of(world, case_id) == "standing"


@pytest.mark.parametrize(("amount", "tier"), [(5000, "meeting"), (49999, "meeting"), (50000, "standing")])
def test_out_of_budget_spending_goes_up(world: World, amount: float, tier: str) -> None:
    case_id = through_sg(world, expense(amount, in_budget=False))
    assert tier_of(world, case_id) == tier


def test_split_payments_to_one_payee_are_judged_by_their_30_day_total(world: World) -> None:
    first = through_sg(world, expense(8000))
    assert tier_of(world, first) == "sg"
    second = through_sg(world, expense(8000))
    assert tier_of(world, second) == "president"
    [decision] = decisions(world, second)
    assert decision.inputs["amount_total"] == 16000
    other_payee = through_sg(world, expense(8000, payee="91120000MA05OTHER1"))
    assert tier_of(world, other_payee) == "sg"


def test_a_failed_meeting_vote_cannot_be_recorded_as_approved(world: World) -> None:
    case_id = through_sg(world, expense(80000))
    act(world, "xh_party", case_id, data={"party_review_opinion": "同意提交。"})
    with pytest.raises(InvalidData) as refused:
        act(world, "xh_president", case_id, data=meeting(present=9, votes_for=4, against=5))
    assert "表决未通过" in refused.value.message
    case = act(world, "xh_president", case_id, "reject", comment="会长办公会表决未通过",
               data=meeting(present=9, votes_for=4, against=5))
    assert case.status == "rejected"
    assert case.data["meeting_result"]["passed"] is False


def test_the_decision_records_which_table_version_chose_the_path(world: World) -> None:
    case_id = through_sg(world, expense(60000))
    [decision] = decisions(world, case_id)
    assert (decision.decision_id, decision.table_version, decision.step) == ("expense_tier_table", 1, "decide_tier")
    assert decision.inputs == {"amount_total": 60000, "related_party": False, "in_budget": True}

"""接受捐赠: domestic and foreign paths, the DMN levels, the 报备 accepted by timeout, and the foreign NGO
without registration or filing number refused with its legal reason."""
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

PARTY = {"party_review_opinion": "捐赠用途符合宗旨，无政治风险。"}
RECEIPT = {"agreement_signed": True, "arrival_date": "2027-04-01", "receipt_number": "JZ-0001"}


def gift(amount: float, donor_type: str = "境内法人或其他组织", naming: bool = False, **extra: Any) -> dict[str, Any]:
    return {"donor_type": donor_type, "donor_name": "天津某科技公司", "donor_id_code": "91120000MA05GIFT01",
            "donor_region": "中国天津", "donation_form": "货币", "currency": "人民币", "amount": amount,
            "amount_cny": amount, "restricted": "限定性", "purpose": "资助青年学者学术交流。", "conditions": "无",
            "naming_or_award": naming, "benefit_return": False, "relationship": "无", "dd_risk": "低",
            "dd_summary": "信用记录良好，非失信主体。", "disclosure": "年报", **extra}


def level(world: World, case_id: int) -> str:
    [decision] = decisions(world, case_id)
    return str(decision.result["donation_level"])


def due_of_open_step(world: World, case_id: int) -> Any:
    with world.sessions() as session:
        [row] = open_tasks(session, case_id)
        assert row.due_at is not None
        return row.due_at


@pytest.mark.parametrize(("amount", "expected", "next_step"), [
    (49999.99, "small", "president_review"), (50000, "large", "party_review"),
    (499999.99, "large", "party_review"), (500000, "council", "party_review")])
def test_levels_at_their_boundaries(world: World, amount: float, expected: str, next_step: str) -> None:
    case_id = start(world, "donation", gift(amount))
    act(world, "xh_sg", case_id)
    assert level(world, case_id) == expected
    assert open_step(world, case_id) == next_step


def test_small_domestic_gift_needs_only_the_president(world: World) -> None:
    case_id = start(world, "donation", gift(20000))
    act(world, "xh_sg", case_id)
    act(world, "xh_president", case_id)
    act(world, "xh_finance", case_id, data=RECEIPT)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == ["draft", "sg_review", "president_review", "receipt"]


def test_large_domestic_gift_is_filed_and_the_filing_accepted_when_its_period_ends(world: World) -> None:
    case_id = start(world, "donation", gift(80000))
    act(world, "xh_sg", case_id)
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id, data=meeting())
    assert open_step(world, case_id) == "cast_filing"
    worker.run_due(world.sessions, now=due_of_open_step(world, case_id) + timedelta(seconds=1))
    assert open_step(world, case_id) == "receipt"
    act(world, "xh_finance", case_id, data=RECEIPT)
    assert status(world, case_id) == "completed"


def test_naming_rights_send_even_a_small_gift_to_the_standing_council(world: World) -> None:
    case_id = start(world, "donation", gift(10000, naming=True))
    act(world, "xh_sg", case_id)
    assert level(world, case_id) == "council"
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id, data=meeting())
    act(world, "xh_sg", case_id, data=meeting(present=15, expected=21, votes_for=11, against=4, kind="常务理事会"))
    assert open_step(world, case_id) == "cast_filing"
    act(world, "cast", case_id, data={"filing_number": "TAST-BA-2027-009"})
    act(world, "xh_finance", case_id, data=RECEIPT)
    assert status(world, case_id) == "completed"


def test_foreign_gift_needs_foreign_affairs_party_review_and_the_cast_approval(world: World) -> None:
    data = gift(10000, donor_type="境外组织", donor_is_foreign_ngo=True, ngo_registration_no="京外登字第 0001 号")
    case_id = start(world, "donation", data)
    act(world, "xh_sg", case_id)
    act(world, "xh_fa", case_id, data={"fund_source_proof_checked": True, "ngo_status_confirmed": True,
                                        "fa_opinion": "来源清楚，无政治风险。"})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id)
    assert open_step(world, case_id) == "cast_approval"
    act(world, "cast", case_id, data={"approval_number": "津科协批〔2027〕12号"})
    act(world, "xh_finance", case_id, data=RECEIPT)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id)[2:] == ["fa_review", "party_review", "president_review", "cast_approval", "receipt"]


def test_cast_approval_of_a_foreign_gift_never_passes_by_timeout(world: World) -> None:
    case_id = start(world, "donation", gift(10000, donor_type="港澳台"))
    act(world, "xh_sg", case_id)
    act(world, "xh_fa", case_id, data={"fund_source_proof_checked": True, "fa_opinion": "同意。"})
    act(world, "xh_party", case_id, data=PARTY)
    act(world, "xh_president", case_id)
    worker.run_due(world.sessions, now=due_of_open_step(world, case_id) + timedelta(days=90))
    assert open_step(world, case_id) == "cast_approval"


def test_foreign_ngo_without_registration_or_filing_is_refused_with_the_legal_reason(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "donation", gift(10000, donor_type="境外组织", donor_is_foreign_ngo=True))
    assert "第三十二条" in refused.value.fields["ngo_registration_no"]
    accepted = start(world, "donation", gift(10000, donor_type="境外组织", donor_is_foreign_ngo=True,
                                             ngo_temp_filing_no="临备 2027-031"))
    assert open_step(world, accepted) == "sg_review"

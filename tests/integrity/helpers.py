"""Steps shared by the bypass catalogue: filing and walking cases in the engine, and what a refusal left."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..processes.helpers import act, meeting, open_tasks, start
from ..processes.test_commendation_fee_branch import fee

__all__ = ["act", "case_state", "expense", "fee_filing", "open_task", "start", "through_finance"]

FINANCE_OK = {"budget_balance_ok": True, "fund_source_ok": True}


def expense(amount: float, payee: str = "91120000MA05ABCD1X", **changes: Any) -> dict[str, Any]:
    data = {"item_name": "学术年会会场租赁", "category": "会议费", "amount": amount, "in_budget": True,
            "fund_source": "会费", "payee_name": "天津某会展公司", "payee_code": payee, "related_party": False,
            "procurement": "询价比价", "reason": "举办年度学术年会。", "planned_date": "2027-03-10"}
    return {**data, **changes}


def through_finance(world: World, amount: float) -> int:
    case_id = start(world, "large_expense", expense(amount))
    act(world, "xh_finance", case_id, data=FINANCE_OK)
    return case_id


def open_task(world: World, case_id: int) -> HumanTask:
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        session.expunge(task)
        return task


def case_state(world: World, case_id: int) -> tuple[str, dict[str, Any], list[tuple[str, str]], int]:
    """Status, data, tasks and the number of the case's audit events: a refusal leaves all four as they were."""
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        tasks = [(t.bpmn_id, t.status) for t in session.scalars(
            select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id))]
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
        return case.status, dict(case.data), tasks, events


FEE_STEPS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "finance_check": ("finance", "approve", {"cost_checked": True}), "sg_review": ("sg", "approve", {}),
    "president_review": ("president", "approve", {}), "president_meeting": ("president", "approve", meeting()),
    "cast_filing": ("cast", "approve", {"filing_number": "TAST-SF-001"}),
    "publish": ("staff", "submit", {"publish_url": "https://example.org/fees", "publish_date": "2027-05-01"})}


def fee_filing(world: World, org: str = "XH", completed: bool = True) -> str:
    """The number of a 收费备案 of ``org``, walked to 办结 (or left at its first review)."""
    username = "xh_staff" if org == "XH" else "yh_staff"
    case_id = start(world, "fee_filing", fee(), username=username, org=org)
    while completed and case_state(world, case_id)[0] == "running":
        who, decision, data = FEE_STEPS[open_task(world, case_id).bpmn_id]
        act(world, who if who == "cast" else f"{org.lower()}_{who}", case_id, decision, data=data)
    assert case_state(world, case_id)[0] == ("completed" if completed else "running")
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.number

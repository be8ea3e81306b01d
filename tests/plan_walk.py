"""Who acts at each step of the 年度工作计划 (workflows/annual_plan.bpmn) and with which form data.

Shared by every test that walks the annual plan: 秘书长审核 → 财务审核 → (外事会签 when a key task is foreign)
→ 党组织前置审查 → 理事长审定 → 常务理事会审议表决 (recorded by the secretary-general) → 市科协学会部备案.
"""
from __future__ import annotations

from typing import Any

from .review_checks import SG_CHECKS

PARTY = {"party_review_opinion": "政治方向正确，同意提交。"}
FINANCE = {"budget_checked": True}
FOREIGN_AFFAIRS = {"fa_opinion": "涉外事项须另行报批。"}
COUNCIL = {
    "meeting_type": "常务理事会", "meeting_mode": "现场", "meeting_date": "2027-01-10", "host": "张理事长",
    "expected_count": 21, "present_count": 16, "votes_for": 15, "votes_against": 1, "votes_abstain": 0,
    "minutes_number": "CW-2027-01", "minutes_ref": "常务理事会会议纪要 2027-01 号（秘书处存档）"}
FILING = {"filing_number": "TAST-2027-001"}

REVIEW_STEPS = ["sg_review", "finance_check", "party_review", "president_review", "council_meeting", "cast_filing"]
STEPS = ["draft", *REVIEW_STEPS]
"""The steps of a plan without foreign items, in order."""
FOREIGN_STEPS = ["draft", "sg_review", "finance_check", "fa_countersign", "party_review", "president_review",
                 "council_meeting", "cast_filing"]

_ACTORS: dict[str, tuple[str, dict[str, Any]]] = {
    "sg_review": ("sg", SG_CHECKS), "finance_check": ("finance", FINANCE), "fa_countersign": ("fa", FOREIGN_AFFAIRS),
    "party_review": ("party", PARTY), "president_review": ("president", {}), "council_meeting": ("sg", COUNCIL),
    "cast_filing": ("cast", FILING)}


def actor(step: str, society: str = "XH") -> tuple[str, dict[str, Any]]:
    """The seeded user who approves ``step`` for ``society`` and the form data they submit."""
    who, data = _ACTORS[step]
    return (who if who == "cast" else f"{society.lower()}_{who}"), dict(data)

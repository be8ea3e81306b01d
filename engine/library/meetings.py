"""Collective decisions (会议型节点): the engine computes quorum and majority from the recorded votes.

A user task with ``kind=meeting`` records a meeting's resolution with the ``meeting`` form. Its
``quorum`` and ``majority`` properties (fractions such as ``2/3`` or ``1/2``; default 2/3 each) decide
whether the meeting could decide and whether the motion passed; the recorder's 同意 / 退回修改 /
不同意 must agree with that result, so the outcome is never typed in by hand.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

from engine.errors import InvalidData
from engine.runtime.bpmn_checks import Problem
from engine.runtime.specs import task_properties

DEFAULT_FRACTION = "2/3"
MEETING_PROPERTIES = ("quorum", "majority", "meetingType")


@dataclass(frozen=True)
class MeetingRule:
    quorum: Fraction
    majority: Fraction
    meeting_type: str


@dataclass(frozen=True)
class MeetingResult:
    quorum_reached: bool
    passed: bool
    voting: int
    required_present: int
    required_for: int


def parse_fraction(text: str) -> Fraction:
    """``2/3`` → Fraction(2, 3); a share must lie in (0, 1]."""
    try:
        value = Fraction(str(text).strip())
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"比例 {text!r} 无效，应写作 2/3 或 1/2") from None
    if not 0 < value <= 1:
        raise ValueError(f"比例 {text!r} 必须大于 0 且不超过 1")
    return value


def meeting_properties(task_specs: Iterable[Any], problems: list[Problem]) -> dict[str, dict[str, str]]:
    """Deploy time: the quorum and majority of every meeting step, checked; problems are appended."""
    found: dict[str, dict[str, str]] = {}
    for spec in task_specs:
        props = task_properties(spec)
        if props.get("kind") != "meeting":
            continue
        entry = {"quorum": props.get("quorum", DEFAULT_FRACTION), "majority": props.get("majority", DEFAULT_FRACTION),
                 "meetingType": props.get("meetingType", "")}
        for name in ("quorum", "majority"):
            try:
                parse_fraction(entry[name])
            except ValueError as exc:
                problems.append(Problem(f"会议型节点的 {name} {exc}", spec.bpmn_id))
        found[spec.bpmn_id] = entry
    return found


def rule_for(properties: dict[str, Any], step: str) -> MeetingRule:
    entry = (properties.get("meetings") or {}).get(step, {})
    return MeetingRule(parse_fraction(entry.get("quorum", DEFAULT_FRACTION)),
                       parse_fraction(entry.get("majority", DEFAULT_FRACTION)), entry.get("meetingType", ""))


def _at_least(total: int, share: Fraction) -> int:
    """The smallest whole number of people that is at least ``share`` of ``total``."""
    return -(-total * share.numerator // share.denominator)


def compute(rule: MeetingRule, data: dict[str, Any]) -> MeetingResult:
    expected, present = int(data["expected_count"]), int(data["present_count"])
    recused = len(data.get("recusals") or [])
    votes = int(data["votes_for"]) + int(data["votes_against"]) + int(data["votes_abstain"])
    errors = {}
    if present > expected:
        errors["present_count"] = "实到人数不能多于应到人数"
    if recused > present:
        errors["recusals"] = "回避人数不能多于实到人数"
    if votes > present - recused:
        errors["votes_for"] = f"同意、反对、弃权合计 {votes} 票，超过有表决权的实到人数 {max(present - recused, 0)}"
    if errors:
        raise InvalidData("会议表决数据不一致", errors)
    voting = present - recused
    required_present, required_for = _at_least(expected, rule.quorum), _at_least(voting, rule.majority)
    quorum = present >= required_present
    passed = quorum and voting > 0 and int(data["votes_for"]) >= required_for
    return MeetingResult(quorum, passed, voting, required_present, required_for)


def resolve(properties: dict[str, Any], step: str, decision: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check the recorder's decision against the computed result; return the data with the result added."""
    rule = rule_for(properties, step)
    result = compute(rule, data)
    if not result.quorum_reached:
        raise InvalidData("未达到法定人数，会议不能形成决议", {
            "present_count": f"应到 {data['expected_count']} 人，至少须实到 {result.required_present} 人"
                             f"（{rule.quorum}），请另行召开会议后录入"})
    if result.passed and decision != "approve":
        raise InvalidData("表决已通过，结论只能是“同意”", {
            "decision": f"同意 {data['votes_for']} 票，达到有表决权人数 {result.voting} 的 {rule.majority}"})
    if not result.passed and decision == "approve":
        raise InvalidData("表决未通过，不能选择“同意”", {
            "decision": f"同意须至少 {result.required_for} 票（有表决权 {result.voting} 人的 {rule.majority}），"
                        f"实得 {data['votes_for']} 票；请选择“退回修改”或“不同意”"})
    summary = {"quorum": str(rule.quorum), "majority": str(rule.majority), "quorum_reached": True,
               "passed": result.passed, "voting": result.voting, "required_for": result.required_for}
    return {**data, "meeting_result": summary}

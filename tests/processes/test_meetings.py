"""Meeting steps: quorum and majority computed by the engine from the recorded votes."""
from __future__ import annotations

from fractions import Fraction

import pytest

from engine.errors import InvalidData
from engine.library.meetings import MeetingRule, compute, resolve

from .helpers import meeting

TWO_THIRDS = MeetingRule(Fraction(2, 3), Fraction(2, 3), "理事会")
PROPS = {"meetings": {"council": {"quorum": "2/3", "majority": "2/3"}}}


@pytest.mark.parametrize(("present", "reached"), [(14, True), (13, False)])
def test_quorum_is_two_thirds_of_the_expected_members(present: int, reached: bool) -> None:
    result = compute(TWO_THIRDS, meeting(present=present, expected=21, votes_for=0, against=0))
    assert result.quorum_reached is reached
    assert result.required_present == 14


@pytest.mark.parametrize(("votes_for", "passed"), [(10, True), (9, False)])
def test_majority_counts_only_members_entitled_to_vote(votes_for: int, passed: bool) -> None:
    data = meeting(present=16, expected=21, votes_for=votes_for, against=16 - 2 - votes_for,
                   recusals=["李理事", "王理事"])
    result = compute(TWO_THIRDS, data)
    assert (result.voting, result.required_for, result.passed) == (14, 10, passed)


def test_no_resolution_without_quorum_whatever_the_recorder_chooses() -> None:
    for decision in ("approve", "return", "reject"):
        with pytest.raises(InvalidData) as refused:
            resolve(PROPS, "council", decision, meeting(present=5, expected=21, votes_for=5, against=0))
        assert "法定人数" in refused.value.message


def test_a_passed_vote_can_only_be_recorded_as_approved() -> None:
    with pytest.raises(InvalidData):
        resolve(PROPS, "council", "reject", meeting(present=15, expected=21, votes_for=12, against=3))
    recorded = resolve(PROPS, "council", "approve", meeting(present=15, expected=21, votes_for=12, against=3))
    assert recorded["meeting_result"]["passed"] is True


def test_inconsistent_counts_are_refused_field_by_field() -> None:
    with pytest.raises(InvalidData) as refused:
        compute(TWO_THIRDS, meeting(present=22, expected=21, votes_for=20, against=0))
    assert "present_count" in refused.value.fields
    with pytest.raises(InvalidData) as refused:
        compute(TWO_THIRDS, meeting(present=10, expected=21, votes_for=9, against=2))
    assert "votes_for" in refused.value.fields


def test_a_half_majority_is_configurable() -> None:
    half = MeetingRule(Fraction(2, 3), Fraction(1, 2), "会员代表大会")
    assert compute(half, meeting(present=10, expected=12, votes_for=5, against=5)).passed is True

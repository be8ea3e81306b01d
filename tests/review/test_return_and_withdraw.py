"""退回 to any earlier step, 撤回 before anyone acted, and 撤销 of the whole case."""
from __future__ import annotations

from typing import Any

import pytest

from engine import journal as audit
from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.journal import AuditEvent
from engine.review import case_ops as review_ops
from engine.runtime.models import Case

from ..conftest import World
from ..plan_walk import FINANCE
from .helpers import PARTY, act, actions, approve_to, open_steps, open_task_id, start


def test_return_to_an_earlier_review_step_reruns_every_step_after_it(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "president_review")
    act(world, "xh_president", case_id, "return", comment="请秘书长再核一下经费", return_to="sg_review")
    assert open_steps(world, case_id) == ["sg_review"]
    act(world, "xh_sg", case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]
    act(world, "xh_finance", case_id, "approve", data=FINANCE)
    assert open_steps(world, case_id) == ["party_review"], "the political pre-review is never skipped on the way back"
    act(world, "xh_party", case_id, "approve", data=PARTY)
    assert open_steps(world, case_id) == ["president_review"]
    with world.sessions() as session:
        event = session.query(AuditEvent).filter_by(case_id=case_id, action="task.completed").all()[-4]
        assert event.detail["decision"] == "return" and event.detail["return_to"] == "sg_review"
        assert event.detail["return_to_name"] == "秘书长审核"
        assert audit.verify_chain(session).ok


def test_return_options_list_the_path_so_far_with_the_political_step_marked(world: World,
                                                                           plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "president_review")
    task_id = open_task_id(world, case_id)
    with world.sessions() as session:
        options = review_ops.return_options(session, world.user(session, "xh_president"), task_id)
        assert [(o.step, o.political) for o in options] == [
            ("draft", False), ("sg_review", False), ("finance_check", False), ("party_review", True)]
        assert review_ops.return_options(session, world.user(session, "xh_sg"), task_id) == []


def test_after_a_return_the_steps_of_the_abandoned_round_are_no_targets(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "president_review")
    act(world, "xh_president", case_id, "return", comment="退回秘书长", return_to="sg_review")
    task_id = open_task_id(world, case_id)
    with world.sessions() as session:
        options = review_ops.return_options(session, world.user(session, "xh_sg"), task_id)
        assert [o.step for o in options] == ["draft"]
    with pytest.raises(InvalidData) as error:
        act(world, "xh_sg", case_id, "return", comment="退回", return_to="party_review")
    assert "return_to" in error.value.fields


def test_return_without_a_target_goes_to_the_submitter(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "party_review")
    act(world, "xh_party", case_id, "return", comment="请补充党建计划")
    assert open_steps(world, case_id) == ["draft"]
    act(world, "xh_staff", case_id, "submit", data=plan_data)
    assert open_steps(world, case_id) == ["sg_review"]


def test_return_to_an_unknown_or_later_step_is_refused(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    for target in ("cast_filing", "sg_review", "nope"):
        with pytest.raises(InvalidData):
            act(world, "xh_sg", case_id, "return", comment="退回", return_to=target)
    assert open_steps(world, case_id) == ["sg_review"]


def recall(world: World, username: str, case_id: int) -> Case:
    with world.sessions() as session, session.begin():
        return review_ops.recall_case(session, world.user(session, username), case_id, "发现附件有误")


def withdraw(world: World, username: str, case_id: int, reason: str = "活动取消") -> Case:
    with world.sessions() as session, session.begin():
        return review_ops.withdraw_case(session, world.user(session, username), case_id, reason)


def test_the_submitter_recalls_before_anyone_acted(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    recall(world, "xh_staff", case_id)
    assert open_steps(world, case_id) == ["draft"]
    assert actions(world, case_id)[-1] == "case.recalled"
    act(world, "xh_staff", case_id, "submit", data=plan_data)
    assert open_steps(world, case_id) == ["sg_review"]


def test_recall_is_refused_once_a_reviewer_acted_or_for_others(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with pytest.raises(PermissionDenied):
        recall(world, "xh_sg", case_id)
    act(world, "xh_sg", case_id, "approve")
    with pytest.raises(Conflict):
        recall(world, "xh_staff", case_id)
    assert open_steps(world, case_id) == ["finance_check"]


def test_withdraw_ends_the_case_with_its_reason(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    act(world, "xh_sg", case_id, "approve")
    with pytest.raises(InvalidData):
        withdraw(world, "xh_staff", case_id, reason="  ")
    with pytest.raises(PermissionDenied):
        withdraw(world, "xh_sg", case_id)
    case = withdraw(world, "xh_staff", case_id)
    assert case.status == "withdrawn" and case.finished_at is not None
    assert open_steps(world, case_id) == []
    with world.sessions() as session:
        event = session.query(AuditEvent).filter_by(case_id=case_id, action="case.withdrawn").one()
        assert event.detail["comment"] == "活动取消"
    with pytest.raises(Conflict):
        withdraw(world, "xh_staff", case_id)


def test_withdraw_of_another_societys_case_is_not_found(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    from engine.errors import NotFound
    with pytest.raises(NotFound):
        withdraw(world, "yh_staff", case_id)

"""转办, 委派, 加签 before and after, 减签 — and a 退回 after an add-signer."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from engine.errors import Conflict, InvalidData, NotFound, PermissionDenied
from engine.identity import accounts as identity
from engine.review import task_ops as task_ops
from engine.runtime.models import HumanTask

from ..conftest import World, add_test_user
from ..plan_walk import FINANCE
from .helpers import PARTY, act, actions, approve_to, open_steps, open_task_id, start


def op(world: World, username: str, fn: Callable[..., Any], *args: Any) -> Any:
    with world.sessions() as session, session.begin():
        return fn(session, world.user(session, username), *args)


def holder(world: World, case_id: int) -> int | None:
    with world.sessions() as session:
        return session.get(HumanTask, open_task_id(world, case_id)).assignee_id


@pytest.fixture
def second_sg(world: World) -> str:
    with world.sessions() as session, session.begin():
        world.user_ids["xh_sg2"] = add_test_user(session, "xh_sg2", [("secretary_general", world.org_ids["XH"])]).id
    return "xh_sg2"


@pytest.fixture
def second_party(world: World) -> str:
    with world.sessions() as session, session.begin():
        world.user_ids["xh_party2"] = add_test_user(session, "xh_party2", [("party_secretary", world.org_ids["XH"])]).id
    return "xh_party2"


def test_transfer_hands_the_task_to_another_holder_of_the_role(world: World, plan_data: dict[str, Any],
                                                               second_sg: str) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    with pytest.raises(InvalidData):
        op(world, "xh_sg", task_ops.transfer_task, task_id, "xh_finance")
    op(world, "xh_sg", task_ops.transfer_task, task_id, second_sg, "出差，请代为审核")
    assert holder(world, case_id) == world.user_ids[second_sg]
    with pytest.raises(Exception):
        act(world, "xh_sg", case_id, "approve")
    act(world, second_sg, case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]
    assert "task.transferred" in actions(world, case_id)


def test_delegate_gives_an_opinion_and_the_owner_decides(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    op(world, "xh_sg", task_ops.delegate_task, task_id, "xh_finance", "请从财务角度把关")
    assert holder(world, case_id) == world.user_ids["xh_finance"]
    with pytest.raises(PermissionDenied):
        act(world, "xh_finance", case_id, "approve")
    with pytest.raises(NotFound):
        op(world, "xh_sg", task_ops.transfer_task, task_id, "xh_president")
    with pytest.raises(InvalidData):
        op(world, "xh_finance", task_ops.resolve_delegation, task_id, " ")
    op(world, "xh_finance", task_ops.resolve_delegation, task_id, "经费测算合理")
    assert holder(world, case_id) == world.user_ids["xh_sg"]
    act(world, "xh_sg", case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]
    assert actions(world, case_id)[-3:] == ["task.delegated", "task.delegate_resolved", "task.completed"]


def test_add_signer_before_acts_first_then_the_task_comes_back(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    op(world, "xh_sg", task_ops.add_signer, task_id, "xh_finance", "before", "请财务先看")
    assert holder(world, case_id) == world.user_ids["xh_finance"]
    act(world, "xh_finance", case_id, "approve", comment="经费无误")
    assert open_steps(world, case_id) == ["sg_review"] and holder(world, case_id) == world.user_ids["xh_sg"]
    act(world, "xh_sg", case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]
    assert "task.signer_opinion" in actions(world, case_id)


def test_add_signer_after_must_approve_before_the_case_moves(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    op(world, "xh_sg", task_ops.add_signer, task_id, "xh_president", "after")
    act(world, "xh_sg", case_id, "approve", comment="同意，请理事长会签")
    assert open_steps(world, case_id) == ["sg_review"] and holder(world, case_id) == world.user_ids["xh_president"]
    act(world, "xh_president", case_id, "approve")
    assert open_steps(world, case_id) == ["sg_review"] and holder(world, case_id) == world.user_ids["xh_sg"]
    act(world, "xh_sg", case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]


def test_remove_signer_before_they_act(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    signer = op(world, "xh_sg", task_ops.add_signer, task_id, "xh_finance", "before")
    with pytest.raises(PermissionDenied):
        op(world, "xh_finance", task_ops.remove_signer, signer.id)
    op(world, "xh_sg", task_ops.remove_signer, signer.id)
    assert holder(world, case_id) == world.user_ids["xh_sg"]
    with pytest.raises(Conflict):
        op(world, "xh_sg", task_ops.remove_signer, signer.id)
    act(world, "xh_sg", case_id, "approve")
    assert "task.signer_removed" in actions(world, case_id)


def test_return_after_an_add_signer(world: World, plan_data: dict[str, Any], second_party: str) -> None:
    """The added signer (a holder of the step's role) returns the case: it goes back to the submitter, and on
    resubmission the step runs again for its role, without the signer that was added last time."""
    case_id = start(world, plan_data)
    approve_to(world, case_id, "party_review")
    op(world, "xh_party", task_ops.add_signer, open_task_id(world, case_id), second_party, "before")
    act(world, second_party, case_id, "return", comment="请补充党建计划", return_to="draft")
    assert open_steps(world, case_id) == ["draft"]
    act(world, "xh_staff", case_id, "submit", data=plan_data)
    act(world, "xh_sg", case_id, "approve")
    act(world, "xh_finance", case_id, "approve", data=FINANCE)
    assert open_steps(world, case_id) == ["party_review"] and holder(world, case_id) is None
    act(world, "xh_party", case_id, "approve", data=PARTY)
    assert open_steps(world, case_id) == ["president_review"]


def test_nobody_outside_the_society_can_be_handed_a_task(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    for target in ("yh_sg", "xh_staff", "xh_sg", "nobody"):
        with pytest.raises(InvalidData):
            op(world, "xh_sg", task_ops.delegate_task, task_id, target)
    with pytest.raises(Exception):
        op(world, "xh_party", task_ops.transfer_task, task_id, "xh_president")
    assert identity

"""The annual work plan, end to end through the engine, with a save/restore at every wait state."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine import journal as audit
from engine.cases import operations as cases
from engine.errors import Conflict, InvalidData, PermissionDenied
from engine.runtime.models import Case, HumanTask
from engine.runtime.serialization import dump_state

from ..conftest import World
from ..plan_walk import REVIEW_STEPS, actor
from ..review_checks import SG_CHECKS, approval_data


def open_tasks(session: Any, case_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")))


def start(world: World, data: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan",
                                world.org(session, "XH"), "2027 年度工作计划", data)
        return case.id


def act(world: World, username: str, case_id: int, decision: str, comment: str = "",
        data: dict[str, Any] | None = None) -> Case:
    with world.sessions() as session, session.begin():
        [task] = open_tasks(session, case_id)
        case = cases.complete_task(session, world.user(session, username), task.id, decision, comment,
                                   approval_data(task.form_key, decision, data))
        restored = cases.load_workflow(case)
        assert dump_state(restored) == case.state or restored.is_completed()
        return case


def test_plan_runs_from_filing_to_filed(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    for step in REVIEW_STEPS:
        username, data = actor(step)
        case = act(world, username, case_id, "approve", data=data)
    assert case.status == "completed"
    assert case.data["filing_number"] == "TAST-2027-001"
    with world.sessions() as session:
        steps = [t.bpmn_id for t in session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)
                                                    .order_by(HumanTask.id))]
        assert steps == ["draft", "sg_review", "finance_check", "party_review", "president_review", "council_meeting",
                         "cast_filing"]
        assert audit.verify_chain(session).ok


def test_return_sends_the_plan_back_and_reviews_run_again(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    act(world, "xh_sg", case_id, "approve")
    act(world, "xh_finance", case_id, "approve", data={"budget_checked": True})
    act(world, "xh_party", case_id, "return", comment="请补充党建工作计划的具体安排")
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        assert (task.bpmn_id, task.assignee_id) == ("draft", world.user_ids["xh_staff"])
    plan_data["party_building_plan"] = "每季度开展一次主题党日。"
    act(world, "xh_staff", case_id, "submit", data=plan_data)
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        assert task.bpmn_id == "sg_review"


def test_reject_ends_the_case(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    case = act(world, "xh_sg", case_id, "reject", comment="与章程不符")
    assert case.status == "rejected"
    with world.sessions() as session:
        assert open_tasks(session, case_id) == []


def test_comment_required_unless_approving(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with pytest.raises(InvalidData) as error:
        act(world, "xh_sg", case_id, "return", comment="  ")
    assert "comment" in error.value.fields


def test_undeclared_fields_are_refused(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with pytest.raises(InvalidData) as error:
        act(world, "xh_sg", case_id, "approve", data={"THRESHOLD": 10**12, **SG_CHECKS})
    assert error.value.fields == {"THRESHOLD": "表单中没有这个字段"}


def test_submitter_cannot_approve_own_case(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        from ..conftest import add_test_user
        add_test_user(session, "both", [("staff", world.org_ids["XH"]), ("secretary_general", world.org_ids["XH"])])
    with world.sessions() as session, session.begin():
        user = session.scalar(select(cases.User).where(cases.User.username == "both"))
        case = cases.start_case(session, user, "annual_plan", world.org(session, "XH"), "自己的计划", plan_data)
        case_id = case.id
    with pytest.raises(PermissionDenied):
        with world.sessions() as session, session.begin():
            [task] = open_tasks(session, case_id)
            user = session.scalar(select(cases.User).where(cases.User.username == "both"))
            cases.complete_task(session, user, task.id, "approve", "", {})


def test_completed_task_cannot_be_completed_again(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        task_id = task.id
    act(world, "xh_sg", case_id, "approve")
    with pytest.raises(Conflict):
        with world.sessions() as session, session.begin():
            cases.complete_task(session, world.user(session, "xh_sg"), task_id, "approve", "", {})


@pytest.mark.parametrize(("field", "value"), [
    ("income_total", float("inf")), ("income_total", float("-inf")), ("income_total", float("nan")),
    ("guiding_principles", "坚持\x00方向"),
])
def test_values_postgresql_cannot_store_are_refused_on_both_databases(world: World, plan_data: dict[str, Any],
                                                                     field: str, value: Any) -> None:
    """NaN, ±Infinity and NUL are accepted by SQLite's JSON text but not by PostgreSQL (T-FAIL-07)."""
    plan_data[field] = value
    with pytest.raises(InvalidData) as error:
        start(world, plan_data)
    assert field in error.value.fields
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0

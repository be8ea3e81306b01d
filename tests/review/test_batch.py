"""批量审批: each approval is its own audited completion; one failure does not block the rest."""
from __future__ import annotations

from typing import Any

import pytest

from engine import journal as audit
from engine.errors import InvalidData
from engine.journal import AuditEvent
from engine.review import batch as batch
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..integrity.helpers import expense
from ..processes.helpers import start as process_start
from .helpers import act, approve_to, open_steps, open_task_id, start


def run_batch(world: World, username: str, ids: Any, comment: str = "同意。",
              checks_confirmed: bool = True) -> list[batch.BatchResult]:
    """批量审批 with the reviewer's confirmation of the 秘书长审核 check (test_review_checks covers its absence)."""
    with world.sessions() as session, session.begin():
        return batch.batch_approve(session, world.user(session, username), ids, comment, checks_confirmed)


def test_batch_approval_with_one_stale_task(world: World, plan_data: dict[str, Any]) -> None:
    cases_ = [start(world, plan_data, title=f"计划{n}") for n in range(3)]
    ids = [open_task_id(world, c) for c in cases_]
    act(world, "xh_sg", cases_[1], "reject", comment="已由他人处理")
    results = run_batch(world, "xh_sg", ids)
    assert [r.ok for r in results] == [True, False, True]
    assert "已被处理" in results[1].message
    assert open_steps(world, cases_[0]) == ["finance_check"] == open_steps(world, cases_[2])
    with world.sessions() as session:
        completions = session.query(AuditEvent).filter_by(action="task.completed").all()
        assert len([e for e in completions if e.detail["comment"] == "同意。"]) == 2
        summary = session.query(AuditEvent).filter_by(action="task.batch_completed").one()
        assert summary.detail["approved"] == [ids[0], ids[2]] and summary.detail["failed"] == [ids[1]]
        assert audit.verify_chain(session).ok


def test_political_steps_and_foreign_tasks_are_left_out(world: World, plan_data: dict[str, Any]) -> None:
    party_case = start(world, plan_data)
    approve_to(world, party_case, "party_review")
    foreign = start(world, plan_data, username="yh_staff", org="YH")
    results = run_batch(world, "xh_party", [open_task_id(world, party_case), open_task_id(world, foreign)])
    assert [r.ok for r in results] == [False, False]
    assert "政治把关" in results[0].message and "无权" in results[1].message
    assert open_steps(world, party_case) == ["party_review"]


def test_batch_input_is_checked(world: World) -> None:
    for ids in ([], "1,2", [1, "2"], [True], list(range(1, 200))):
        with pytest.raises(InvalidData):
            run_batch(world, "xh_sg", ids)


def small_expenses(world: World) -> list[int]:
    """Two small expenses waiting at 财务审核, whose form asks for two checks before 同意."""
    return [process_start(world, "large_expense", expense(amount)) for amount in (800, 1200)]


def test_tasks_whose_form_needs_input_name_the_case_and_the_fields(world: World) -> None:
    cases_ = small_expenses(world)
    results = run_batch(world, "xh_finance", [open_task_id(world, c) for c in cases_])
    assert [r.ok for r in results] == [False, False]
    for result in results:
        assert result.case_number and result.case_number.startswith("XH-")
        assert result.missing == ("预算余额充足", "资金来源与用途相符")
        assert result.message == ("核对未通过，不能同意：“预算余额充足”、“资金来源与用途相符”"
                                  "（需填写表单：预算余额充足、资金来源与用途相符，请逐件办理）")
    assert open_steps(world, cases_[0]) == ["finance_check"] == open_steps(world, cases_[1])
    with world.sessions() as session:
        summary = session.query(AuditEvent).filter_by(action="task.batch_completed").one()
        assert summary.detail["approved"] == [] and len(summary.detail["failed"]) == 2


def test_only_steps_without_form_input_are_offered(world: World, plan_data: dict[str, Any]) -> None:
    at_sg, at_finance = start(world, plan_data), start(world, plan_data, title="另一计划")
    approve_to(world, at_finance, "finance_check")
    ids = [open_task_id(world, c) for c in (at_sg, at_finance, small_expenses(world)[0])]
    with world.sessions() as session:
        sg, finance, expense_task = (session.get_one(HumanTask, task_id) for task_id in ids)
        assert batch.batchable(sg) and batch.fields_to_fill(sg) == []
        assert not batch.batchable(finance) and batch.fields_to_fill(finance) == ["收支预算已核对，资金来源合规"]
        assert not batch.batchable(expense_task)


def test_inbox_hides_the_checkbox_of_tasks_that_need_a_form(world: World, login: Any) -> None:
    cases_ = small_expenses(world)
    inbox = login("xh_finance").get("/").get_data(as_text=True)
    assert inbox.count("需填写表单，请逐件办理") == 2
    for case_id in cases_:
        assert f'name="task_ids" value="{open_task_id(world, case_id)}"' not in inbox


def test_batch_result_page_names_what_was_approved_and_what_needs_input(world: World, plan_data: dict[str, Any],
                                                                        login: Any) -> None:
    plans = [start(world, plan_data, title=f"计划{n}") for n in range(2)]
    client = login("xh_sg")
    response = client.post("/tasks/batch", data={"task_ids": [str(open_task_id(world, c)) for c in plans],
                                                  "comment": "同意。", "checks_confirmed": "1"}, follow_redirects=True)
    body = response.get_data(as_text=True)
    numbers = [case_number(world, c) for c in plans]
    assert "alert-success" in body and "已同意 2 件" in body and all(n in body for n in numbers)
    expenses = small_expenses(world)
    client = login("xh_finance")
    response = client.post("/tasks/batch", data={"task_ids": [str(open_task_id(world, c)) for c in expenses]},
                           follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "alert-success" not in body and "没有事项被同意" in body
    for case_id in expenses:
        assert f"{case_number(world, case_id)} 未能审批：核对未通过" in body
        assert "需填写表单：预算余额充足、资金来源与用途相符，请逐件办理" in body


def case_number(world: World, case_id: int) -> str:
    with world.sessions() as session:
        return session.get_one(Case, case_id).number

"""批量审批: each approval is its own audited completion; one failure does not block the rest."""
from __future__ import annotations

from typing import Any

import pytest

from engine import journal as audit
from engine.errors import InvalidData
from engine.journal import AuditEvent
from engine.review import batch as batch

from ..conftest import World
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

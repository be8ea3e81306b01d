"""Engine-level steps shared by the reviewer-workspace tests."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.cases import operations as cases
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..plan_walk import PARTY, actor
from ..review_checks import approval_data

__all__ = ["PARTY", "act", "actions", "approve_to", "open_steps", "open_task_id", "start"]


def start(world: World, data: dict[str, Any], username: str = "xh_staff", org: str = "XH",
          title: str = "2027 年度工作计划") -> int:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, username), "annual_plan", world.org(session, org),
                                title, data)
        return case.id


def open_tasks(session: Any, case_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")
                                .order_by(HumanTask.id)))


def open_task_id(world: World, case_id: int) -> int:
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        return task.id


def open_steps(world: World, case_id: int) -> list[str]:
    with world.sessions() as session:
        return [t.bpmn_id for t in open_tasks(session, case_id)]


def act(world: World, username: str, case_id: int, decision: str, comment: str = "",
        data: dict[str, Any] | None = None, return_to: str | None = None) -> Case:
    with world.sessions() as session, session.begin():
        [task] = open_tasks(session, case_id)
        return cases.complete_task(session, world.user(session, username), task.id, decision, comment,
                                   approval_data(task.form_key, decision, data), return_to=return_to)


def approve_to(world: World, case_id: int, step: str, plan: dict[str, Any] | None = None) -> None:
    """Approve the annual plan step by step until it waits at ``step``."""
    while open_steps(world, case_id) != [step]:
        [current] = open_steps(world, case_id)
        if current == "draft":
            act(world, "xh_staff", case_id, "submit", data=plan or {})
        else:
            username, data = actor(current)
            act(world, username, case_id, "approve", data=data)


def actions(world: World, case_id: int) -> list[str]:
    from engine.journal import AuditEvent
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))

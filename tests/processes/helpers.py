"""Walking library processes through the engine with the seeded users."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.cases import operations as cases
from engine.library.models import CaseDecision
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..review_checks import approval_data


def open_tasks(session: Any, case_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")))


def start(world: World, process: str, data: dict[str, Any], username: str = "xh_staff", org: str = "XH",
          title: str = "测试事项") -> int:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, username), process, world.org(session, org), title, data)
        return case.id


def open_step(world: World, case_id: int) -> str:
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        return task.bpmn_id


def act(world: World, username: str, case_id: int, decision: str = "approve", comment: str = "",
        data: dict[str, Any] | None = None) -> Case:
    with world.sessions() as session, session.begin():
        [task] = open_tasks(session, case_id)
        return cases.complete_task(session, world.user(session, username), task.id, decision, comment,
                                   approval_data(task.form_key, decision, data))


def steps(world: World, case_id: int) -> list[str]:
    with world.sessions() as session:
        return [t.bpmn_id for t in session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)
                                                    .order_by(HumanTask.id))]


def status(world: World, case_id: int) -> str:
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.status


def decisions(world: World, case_id: int) -> list[CaseDecision]:
    with world.sessions() as session:
        return list(session.scalars(select(CaseDecision).where(CaseDecision.case_id == case_id)
                                    .order_by(CaseDecision.id)))


def meeting(present: int = 9, expected: int = 10, votes_for: int = 8, against: int = 1, abstain: int = 0,
            recusals: list[str] | None = None, kind: str = "会长办公会") -> dict[str, Any]:
    data: dict[str, Any] = {
        "meeting_type": kind, "meeting_mode": "现场", "meeting_date": "2027-03-01", "host": "张理事长",
        "expected_count": expected, "present_count": present, "votes_for": votes_for, "votes_against": against,
        "votes_abstain": abstain, "minutes_number": "JY-2027-03", "minutes_ref": "会议纪要 2027-03 号（秘书处存档）"}
    if recusals:
        data["recusals"] = [{"name": name, "reason": "关联方"} for name in recusals]
    return data


def add_member(world: World, username: str, role: str, org: str = "XH") -> None:
    """A further person in the society (e.g. a 监事 or a second reviewer), for steps the fixture does not staff."""
    from engine.identity import accounts as identity

    from ..conftest import TEST_PASSWORD
    with world.sessions() as session, session.begin():
        user = identity.add_user(session, username, username, TEST_PASSWORD)
        identity.grant_role(session, username, role, org)
        session.flush()
        world.user_ids[username] = user.id

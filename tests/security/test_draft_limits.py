"""暂存 accepts nothing a submission would refuse: huge strings, deep nesting, wrong types, NUL, long opinions
(issue 11, 12). Required fields may still be left empty."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases.models import TaskDraft

from ..conftest import World
from ..review.helpers import act, approve_to, open_task_id, start

HUGE = "长" * 1_300_000  # 3.9 MB of UTF-8


def _nested(depth: int) -> Any:
    value: Any = "底"
    for _ in range(depth):
        value = [value]
    return value


def _drafts(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(TaskDraft)) or 0


@pytest.fixture
def draft_task(world: World, plan_data: dict[str, Any]) -> int:
    """The annual plan returned to its drafter: the staff member's open draft task (form annual_plan)."""
    case_id = start(world, plan_data)
    approve_to(world, case_id, "sg_review", plan_data)
    act(world, "xh_sg", case_id, "return", comment="请补充")
    return open_task_id(world, case_id)


@pytest.mark.parametrize("data, comment", [
    ({"guiding_principles": "长" * 100_000}, ""),
    ({"key_tasks": _nested(900)}, ""),
    ({"key_tasks": [{"name": _nested(20)}]}, ""),
    ({"plan_year": "二〇二七"}, ""),
    ({"no_such_field": 1}, ""),
    ({}, "意" * 3000),
])
def test_a_draft_a_submission_would_refuse_is_a_422(data: dict[str, Any], comment: str, draft_task: int, world: World,
                                                    tokens: Callable[[str], dict[str, str]],
                                                    client: FlaskClient) -> None:
    headers = tokens("xh_staff")
    before = _drafts(world)
    response = client.post(f"/api/v1/tasks/{draft_task}/draft", json={"data": data, "comment": comment},
                           headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["code"] == "invalid_data"
    assert _drafts(world) == before


def test_a_huge_draft_is_refused_by_size(draft_task: int, world: World, client: FlaskClient,
                                         tokens: Callable[[str], dict[str, str]]) -> None:
    headers = tokens("xh_staff")
    response = client.post(f"/api/v1/tasks/{draft_task}/draft", json={"data": {"guiding_principles": HUGE}},
                           headers=headers)
    assert response.status_code in (413, 422)
    assert _drafts(world) == 0


def test_a_partial_draft_is_still_accepted(draft_task: int, world: World, client: FlaskClient,
                                           tokens: Callable[[str], dict[str, str]]) -> None:
    response = client.post(f"/api/v1/tasks/{draft_task}/draft", headers=tokens("xh_staff"),
                           json={"data": {"guiding_principles": "", "key_tasks": [{"name": "学术年会"}]},
                                 "comment": "未完"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert _drafts(world) == 1


def test_the_web_draft_refuses_an_overlong_field(draft_task: int, world: World,
                                                 login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    response = client.post(f"/tasks/{draft_task}", data={"decision": "save_draft", "guiding_principles": "长" * 20000})
    assert response.status_code == 422
    assert _drafts(world) == 0

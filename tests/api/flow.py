"""Steps of the annual work plan through the API, shared by the API tests."""
from __future__ import annotations

from typing import Any

from ..plan_walk import actor
from ..review_checks import approval_data_for_form
from .conftest import Api


def file_plan(api: Api, data: dict[str, Any], username: str = "xh_staff", org: str = "XH",
              title: str = "2027 年度工作计划") -> dict[str, Any]:
    response = api.post(username, "/cases", json={"process": "annual_plan", "org": org, "title": title, "data": data})
    assert response.status_code == 201, response.get_json()
    case: dict[str, Any] = response.get_json()
    return case


def open_task_id(case: dict[str, Any]) -> int:
    [task] = [t for t in case["tasks"] if t["status"] == "open"]
    task_id: int = task["id"]
    return task_id


def act(api: Api, username: str, case: dict[str, Any], decision: str, comment: str | None = None,
        data: dict[str, Any] | None = None) -> dict[str, Any]:
    task_id = open_task_id(case)
    response = api.post(username, "/tasks/{task_id}/complete", task_id=task_id,
                        json={"decision": decision, "comment": comment,
                              "data": with_sg_check(api, username, task_id, decision, data)})
    assert response.status_code == 200, response.get_json()
    updated: dict[str, Any] = response.get_json()
    return updated


def with_sg_check(api: Api, username: str, task_id: int, decision: str,
                  data: dict[str, Any] | None) -> dict[str, Any] | None:
    """``data``, or the ticked 秘书长审核 check when approving that step with no data (see review_checks)."""
    if decision != "approve" or data:
        return data
    form = api.get(username, "/tasks/{task_id}", task_id=task_id).get_json().get("form")
    return approval_data_for_form(form, decision, data) or data


def steps(case: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t["step"], t["status"]) for t in case["tasks"]]


def open_step(case: dict[str, Any]) -> str:
    [task] = [t for t in case["tasks"] if t["status"] == "open"]
    step: str = task["step"]
    return step


def approve_until(api: Api, case: dict[str, Any], step: str) -> dict[str, Any]:
    """Approve the annual plan, each step by its seeded holder, until it waits at ``step``."""
    while open_step(case) != step:
        username, data = actor(open_step(case), case["org"])
        case = act(api, username, case, "approve", data=data)
    return case

"""Driving the web UI through its HTML forms, as a browser would."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ..plan_walk import COUNCIL
from ..review_checks import SG_CHECKS

PLAN_TITLE = "2027 年度工作计划"


def plan_form(plan: dict[str, Any], title: str = PLAN_TITLE) -> dict[str, str]:
    """The start form as the browser submits it: a 明细子表 row becomes ``key_tasks-0-name`` and so on."""
    form = {"_title": title}
    for key, value in plan.items():
        if key == "key_tasks":
            for index, row in enumerate(value):
                form.update({f"key_tasks-{index}-{column}": field_text(cell) for column, cell in row.items()
                             if cell is not False})
        elif value is not False:
            form[key] = field_text(value)
    return form


def field_text(value: Any) -> str:
    return "1" if value is True else str(value)


def page(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def task_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/tasks/(\d+)"', html)]


def file_plan(client: FlaskClient, plan: dict[str, Any], title: str = PLAN_TITLE) -> int:
    response = client.post("/start/annual_plan", data=plan_form(plan, title))
    assert response.status_code == 302, page(response)
    match = re.fullmatch(r"/cases/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def only_task(client: FlaskClient) -> int:
    """The one open task in the logged-in user's 待办."""
    ids = sorted(set(task_ids(page(client.get("/")))))
    assert len(ids) == 1, ids
    return ids[0]


def decide(client: FlaskClient, task_id: int, decision: str, comment: str = "", **data: str) -> TestResponse:
    """Post the task's form. 同意 with no fields ticks the 秘书长审核 check (a form without that field ignores
    it, as the web form reads only its declared fields); pass ``sg_compliance_checked=""`` to leave it unticked."""
    if decision == "approve" and not data:
        data = {name: field_text(value) for name, value in SG_CHECKS.items()}
    return client.post(f"/tasks/{task_id}", data={"decision": decision, "comment": comment, **data})


def council_form() -> dict[str, str]:
    """The 常务理事会 meeting record (plan_walk.COUNCIL) as the meeting step's HTML form submits it."""
    return {key: field_text(value) for key, value in COUNCIL.items()}

"""The library processes through the JSON API and the web pages: a meeting step and a report step."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from ..api.conftest import Api
from ..api.flow import with_sg_check
from .helpers import meeting
from .test_academic_event import event
from .test_large_expense import FINANCE_OK, expense


@pytest.fixture
def api(client: FlaskClient, tokens: Callable[[str], dict[str, str]]) -> Api:
    return Api(client, tokens)


def open_task(case: dict[str, Any]) -> int:
    [task] = [t for t in case["tasks"] if t["status"] == "open"]
    return int(task["id"])


def complete(api: Api, username: str, case: dict[str, Any], decision: str = "approve", comment: str | None = None,
             data: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
    task_id = open_task(case)
    response = api.post(username, "/tasks/{task_id}/complete", task_id=task_id,
                        json={"decision": decision, "comment": comment,
                              "data": with_sg_check(api, username, task_id, decision, data)})
    assert response.status_code == status, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_a_meeting_step_through_the_api_and_its_page(api: Api, login: Callable[[str], FlaskClient]) -> None:
    response = api.post("xh_staff", "/cases", json={"process": "large_expense", "org": "XH", "title": "会场租赁",
                                                     "data": expense(80000)})
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    case = complete(api, "xh_finance", case, data=FINANCE_OK)
    case = complete(api, "xh_sg", case)
    case = complete(api, "xh_party", case, data={"party_review_opinion": "同意。"})
    task = api.get("xh_president", "/tasks/{task_id}", task_id=open_task(case)).get_json()
    assert (task["kind"], task["form"]["title"]) == ("meeting", "会议决议")
    page = login("xh_president").get(f"/tasks/{open_task(case)}")
    assert page.status_code == 200 and "实到人数" in page.get_data(as_text=True)
    failed = complete(api, "xh_president", case, data=meeting(votes_for=3, against=6), status=422)
    assert "表决未通过" in failed["error"]["message"]
    case = complete(api, "xh_president", case, data=meeting())
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["payment"]


def test_a_report_step_is_submitted_by_the_organiser(api: Api) -> None:
    response = api.post("xh_staff", "/cases", json={"process": "academic_event", "org": "XH", "title": "沙龙",
                                                     "data": event()})
    assert response.status_code == 201, response.get_json()
    case = complete(api, "xh_sg", response.get_json())
    case = complete(api, "xh_party", case, data={"party_review_opinion": "同意。"})
    task = api.get("xh_staff", "/tasks/{task_id}", task_id=open_task(case)).get_json()
    assert (task["kind"], task["decisions"]) == ("report", ["submit"])
    case = complete(api, "xh_staff", case, "submit", data={"actual_attendance": 60, "speakers_match": True,
                                                           "incident": False})
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["summary"]

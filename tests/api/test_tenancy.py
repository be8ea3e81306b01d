"""A society sees only its own cases; the supervising 科协 sees its societies; anything else is 404."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.journal import AuditEvent

from ..conftest import World
from .conftest import Api
from .flow import approve_until, file_plan, open_task_id


def test_another_society_gets_404_on_everything_of_xh(api: Api, world: World, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    missing = api.get("yh_sg", "/cases/{case_id}", case_id=999999).get_json()["error"]
    for response in (api.get("yh_sg", "/cases/{case_id}", case_id=case["id"]),
                     api.get("yh_sg", "/cases/{case_id}/history", case_id=case["id"]),
                     api.get("yh_sg", "/tasks/{task_id}", task_id=task_id),
                     api.post("yh_sg", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve"})):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == missing["code"]
    assert api.get("yh_sg", "/cases/{case_id}", case_id=case["id"]).get_json()["error"]["message"] == missing["message"]
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=task_id).get_json()["status"] == "open"
    with world.sessions() as session:
        denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all()
        assert {e.actor_id for e in denials} == {world.user_ids["yh_sg"]}


def test_another_societys_lists_do_not_contain_xh_tasks(api: Api, plan_data: dict[str, Any]) -> None:
    file_plan(api, plan_data)
    yh_case = file_plan(api, plan_data, username="yh_staff", org="YH")
    for view in ("todo", "done", "started"):
        page = api.get("yh_sg", "/tasks", query={"view": view}).get_json()
        assert all(item["org"] == "YH" for item in page["items"])
    todo = api.get("yh_sg", "/tasks").get_json()
    assert (todo["total"], [t["case_id"] for t in todo["items"]]) == (1, [yh_case["id"]])
    assert api.get("yh_staff", "/processes").get_json()[0]["orgs"] == ["YH"]


def test_a_society_cannot_file_for_another(api: Api, plan_data: dict[str, Any]) -> None:
    body = {"process": "annual_plan", "org": "XH", "title": "冒名计划", "data": plan_data}
    assert api.post("yh_staff", "/cases", json=body).status_code == 404
    assert api.get("xh_sg", "/tasks").get_json()["total"] == 0


def test_the_supervising_cast_sees_society_cases(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    assert api.get("cast", "/cases/{case_id}", case_id=case["id"]).get_json()["number"] == case["number"]
    assert api.get("cast", "/cases/{case_id}/history", case_id=case["id"]).status_code == 200
    assert api.get("cast", "/tasks/{task_id}", task_id=open_task_id(case)).get_json()["decisions"] == []
    assert api.get("cast", "/tasks").get_json()["total"] == 0
    case = approve_until(api, case, "cast_filing")
    [item] = api.get("cast", "/tasks").get_json()["items"]
    assert (item["step"], item["org"], item["org_name"]) == ("cast_filing", "XH", "天津市测试学会")


def test_the_cast_may_not_file_for_a_society(api: Api, plan_data: dict[str, Any]) -> None:
    body = {"process": "annual_plan", "org": "XH", "title": "代填计划", "data": plan_data}
    response = api.post("cast", "/cases", json=body)
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")

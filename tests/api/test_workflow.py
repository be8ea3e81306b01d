"""The annual work plan driven entirely through the JSON API."""
from __future__ import annotations

import re
from typing import Any

from ..plan_walk import COUNCIL
from .conftest import Api
from .flow import act, approve_until, file_plan, open_task_id, steps


def test_processes_list_what_the_user_may_start(api: Api) -> None:
    listed = api.get("xh_staff", "/processes").get_json()
    assert {"annual_plan", "large_expense", "donation", "academic_event", "branch"} <= {p["key"] for p in listed}
    [process] = [p for p in listed if p["key"] == "annual_plan"]
    assert (process["key"], process["name"], process["orgs"]) == ("annual_plan", "年度工作计划前置审查", ["XH"])
    assert process["version"] == 1
    assert api.get("xh_sg", "/processes").get_json() == []
    assert api.get("cast", "/processes").get_json() == []


def test_process_detail_has_the_start_form(api: Api) -> None:
    detail = api.get("xh_staff", "/processes/{key}", key="annual_plan").get_json()
    assert detail["start_form"]["title"] == "年度工作计划"
    assert "plan_year" in detail["start_form"]["required"]
    assert api.get("xh_sg", "/processes/{key}", key="annual_plan").get_json()["orgs"] == []


def test_plan_runs_from_filing_to_filed(api: Api, plan_data: dict[str, Any]) -> None:
    response = api.post("xh_staff", "/cases", json={"process": "annual_plan", "org": "xh", "title": " 2027 年度计划 ",
                                                    "data": plan_data})
    assert response.status_code == 201
    case = response.get_json()
    assert response.headers["Location"] == f"/api/v1/cases/{case['id']}"
    assert re.fullmatch(r"XH-\d{4}-JH-0001", case["number"])
    assert (case["status"], case["org"], case["title"], case["process"]) == ("running", "XH", "2027 年度计划",
                                                                              "annual_plan")
    assert case["submitter"]["username"] == "xh_staff" and case["data"] == {
        **plan_data, "has_foreign_items": False, "foreign_matter": False, "foreign_reasons": [], "has_foreign_ngo": False,
        "foreign_ngo_parties": []}
    assert steps(case) == [("draft", "completed"), ("sg_review", "open")]

    case = act(api, "xh_sg", case, "approve", data={"sg_compliance_checked": True})
    case = act(api, "xh_finance", case, "approve", data={"budget_checked": True})
    case = act(api, "xh_party", case, "approve", comment="同意", data={"party_review_opinion": "政治方向正确。"})
    case = act(api, "xh_president", case, "approve")
    case = act(api, "xh_sg", case, "approve", data=COUNCIL)
    case = act(api, "cast", case, "approve", data={"filing_number": "TAST-2027-001", "filing_date": "2027-01-15"})

    assert case["status"] == "completed" and case["finished_at"].endswith("Z")
    assert case["data"]["filing_number"] == "TAST-2027-001"
    assert [s for s, _ in steps(case)] == ["draft", "sg_review", "finance_check", "party_review", "president_review",
                                           "council_meeting", "cast_filing"]
    assert {status for _, status in steps(case)} == {"completed"}
    assert case["tasks"][3]["comment"] == "同意" and case["tasks"][3]["completed_by"]["username"] == "xh_party"
    assert api.get("xh_staff", "/cases/{case_id}", case_id=case["id"]).get_json() == case


def test_history_lists_the_case_events_in_order(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    act(api, "xh_sg", case, "return", comment="请补充预算明细")
    events = api.get("xh_staff", "/cases/{case_id}/history", case_id=case["id"]).get_json()
    assert [e["action"] for e in events] == ["case.started", "task.completed", "task.completed"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    returned = events[2]
    assert (returned["actor"], returned["detail"]["decision"], returned["detail"]["comment"]) == \
        ("测试xh_sg", "return", "请补充预算明细")
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["hash"]) and e["at"].endswith("Z") for e in events)


def test_return_sends_the_plan_back_for_resubmission(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    case = approve_until(api, case, "party_review")
    case = act(api, "xh_party", case, "return", comment="请补充党建工作计划的具体安排")
    draft_id = open_task_id(case)
    draft = api.get("xh_staff", "/tasks/{task_id}", task_id=draft_id).get_json()
    assert (draft["step"], draft["decisions"], draft["form"]["title"]) == ("draft", ["submit"], "年度工作计划")
    assert [t["id"] for t in api.get("xh_staff", "/tasks").get_json()["items"]] == [draft_id]
    plan_data["party_building_plan"] = "每季度开展一次主题党日。"
    case = act(api, "xh_staff", case, "submit", data=plan_data)
    assert steps(case)[-1] == ("sg_review", "open")
    assert case["data"]["party_building_plan"] == "每季度开展一次主题党日。"


def test_reject_ends_the_case(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    case = act(api, "xh_sg", case, "reject", comment="与章程不符")
    assert case["status"] == "rejected" and not [t for t in case["tasks"] if t["status"] == "open"]
    task = api.get("xh_sg", "/tasks/{task_id}", task_id=task_id).get_json()
    assert (task["status"], task["decision"], task["decisions"]) == ("completed", "reject", [])


def test_task_detail_offers_the_review_decisions(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task = api.get("xh_sg", "/tasks/{task_id}", task_id=open_task_id(case)).get_json()
    assert (task["name"], task["role"], task["org"], task["case_number"]) == ("秘书长审核", "secretary_general", "XH",
                                                                             case["number"])
    assert task["decisions"] == ["approve", "return", "reject"]
    assert task["form"]["title"] == "秘书长审核" and task["due_at"].endswith("Z")
    assert api.get("xh_finance", "/tasks/{task_id}", task_id=task["id"]).get_json()["decisions"] == []


def test_task_views(api: Api, plan_data: dict[str, Any]) -> None:
    first, second = file_plan(api, plan_data, title="甲"), file_plan(api, plan_data, title="乙")
    first = act(api, "xh_sg", first, "approve")
    todo = api.get("xh_sg", "/tasks").get_json()
    assert (todo["total"], [t["case_title"] for t in todo["items"]]) == (1, ["乙"])
    done = api.get("xh_sg", "/tasks", query={"view": "done"}).get_json()
    assert [(t["case_title"], t["decision"], t["status"]) for t in done["items"]] == [("甲", "approve", "completed")]
    started = api.get("xh_staff", "/tasks", query={"view": "started"}).get_json()
    assert started["total"] == 2
    assert [(t["case_id"], t["step"], t["status"]) for t in started["items"]] == [
        (second["id"], "sg_review", "open"), (first["id"], "finance_check", "open")]


def test_started_view_shows_the_last_task_of_a_finished_case(api: Api, plan_data: dict[str, Any]) -> None:
    case = act(api, "xh_sg", file_plan(api, plan_data), "reject", comment="不同意")
    [item] = api.get("xh_staff", "/tasks", query={"view": "started"}).get_json()["items"]
    assert (item["case_status"], item["step"], item["decision"]) == ("rejected", "sg_review", "reject")
    assert item["case_id"] == case["id"]


def test_task_list_pages(api: Api, plan_data: dict[str, Any]) -> None:
    ids = [open_task_id(file_plan(api, plan_data, title=f"计划{i}")) for i in range(3)]
    first = api.get("xh_sg", "/tasks", query={"limit": "2"}).get_json()
    rest = api.get("xh_sg", "/tasks", query={"limit": "2", "offset": "2"}).get_json()
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)
    assert [t["id"] for t in first["items"] + rest["items"]] == ids
    assert rest["offset"] == 2 and len(rest["items"]) == 1

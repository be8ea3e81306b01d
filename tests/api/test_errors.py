"""Every failure answers with the documented status and a Chinese {"error": {...}} body."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.identity.models import ApiToken, User
from engine.runtime.models import HumanTask

from ..conftest import TEST_PASSWORD, World, add_test_user
from .conftest import DOC, Api, assert_documented
from .flow import act, file_plan, open_task_id


def error_of(response: Any) -> dict[str, Any]:
    error: dict[str, Any] = response.get_json()["error"]
    return error


@pytest.mark.parametrize("header", [None, "Bearer bgn_not-a-real-token", "Basic eGhfc3RhZmY6eA==", "Bearer ", "bgn_x"])
def test_missing_or_bad_token_is_401(api: Api, header: str | None) -> None:
    response = api.get(None, "/processes", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthenticated" and "令牌" in error_of(response)["message"]


def test_a_revoked_token_or_inactive_user_is_401(api: Api, world: World) -> None:
    assert api.get("xh_staff", "/processes").status_code == 200
    assert api.get("xh_sg", "/processes").status_code == 200
    with world.sessions() as session, session.begin():
        session.execute(update(ApiToken).where(ApiToken.user_id == world.user_ids["xh_staff"]).values(revoked=True))
        session.execute(update(User).where(User.id == world.user_ids["xh_sg"]).values(active=False))
    assert api.get("xh_staff", "/processes").status_code == 401
    assert api.get("xh_sg", "/processes").status_code == 401


def test_a_browser_session_does_not_authorise_the_api(client: FlaskClient, api: Api) -> None:
    login = client.post("/login", data={"username": "xh_staff", "password": TEST_PASSWORD, "next": "/api/v1/processes"})
    assert login.status_code == 302
    assert api.get(None, "/processes").status_code == 401


def test_the_openapi_document_needs_no_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"] == "3.1.0"


@pytest.mark.parametrize("body", [b"{", b"", b"\xff\xfe{}", b'{"process": NaN}', b"[" * 100_000])
def test_a_body_that_is_not_json_is_400(api: Api, body: bytes) -> None:
    response = api.post("xh_staff", "/cases", data=body, content_type="application/json")
    assert response.status_code == 400
    assert error_of(response) == {"code": "bad_request", "message": "请求体不是有效的 JSON（应为 UTF-8 编码的 JSON 对象）"}


@pytest.mark.parametrize("body", ["[]", '"计划"', "42", "null"])
def test_a_body_that_is_not_an_object_is_400(api: Api, body: str) -> None:
    response = api.post("xh_staff", "/cases", data=body.encode(), content_type="application/json")
    assert response.status_code == 400 and error_of(response)["message"] == "请求体必须是 JSON 对象"


def test_wrong_types_and_unknown_keys_are_400_with_fields(api: Api, plan_data: dict[str, Any]) -> None:
    body = {"process": ["annual_plan"], "org": "XH", "title": 2027, "data": plan_data, "priority": "高"}
    error = error_of(api.post("xh_staff", "/cases", json=body))
    assert error["code"] == "bad_request"
    assert error["fields"] == {"process": "类型不正确，应为文本", "title": "类型不正确，应为文本", "priority": "不支持的参数"}
    response = api.post("xh_staff", "/tasks/{task_id}/complete", task_id=1, json={"decision": "approve", "data": []})
    assert response.status_code == 400 and error_of(response)["fields"] == {"data": "类型不正确，应为对象或null"}


def test_missing_keys_are_422_with_fields(api: Api) -> None:
    response = api.post("xh_staff", "/cases", json={"process": "annual_plan"})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"org": "必填", "title": "必填", "data": "必填"}


@pytest.mark.parametrize("query, field", [({"view": "all"}, "view"), ({"limit": "0"}, "limit"),
                                          ({"limit": "201"}, "limit"), ({"limit": "1e3"}, "limit"),
                                          ({"limit": "٣"}, "limit"), ({"offset": "-1"}, "offset"),
                                          ({"offset": "99999999999999999999"}, "offset")])
def test_bad_list_parameters_are_400(api: Api, query: dict[str, str], field: str) -> None:
    response = api.get("xh_sg", "/tasks", query=query)
    assert response.status_code == 400 and list(error_of(response)["fields"]) == [field]


def test_wrong_method_and_oversized_body_are_json(client: FlaskClient, tokens: Callable[[str], dict[str, str]]) -> None:
    headers = tokens("xh_staff")
    not_allowed = client.delete("/api/v1/cases", headers=headers)
    unknown = client.get("/api/v1/no-such-thing", headers=headers)
    too_large = client.post("/api/v1/cases", data=b"x" * (5 * 1024 * 1024), headers=headers,
                            content_type="application/json")
    assert (not_allowed.status_code, error_of(not_allowed)) == (405, {"code": "http_405", "message": "不支持此请求方法"})
    assert (too_large.status_code, error_of(too_large)) == (413, {"code": "http_413", "message": "上传内容过大"})
    assert (unknown.status_code, error_of(unknown)["code"]) == (404, "http_404")
    assert "413" in DOC["paths"]["/cases"]["post"]["responses"]


@pytest.mark.parametrize("template, params", [
    ("/cases/{case_id}", {"case_id": 999999}), ("/cases/{case_id}", {"case_id": 10**20}),
    ("/cases/{case_id}/history", {"case_id": 999999}), ("/tasks/{task_id}", {"task_id": 2**31}),
    ("/processes/{key}", {"key": "no_such_process"}), ("/processes/{key}", {"key": "bad%00key"})])
def test_unknown_objects_are_404(api: Api, template: str, params: dict[str, Any]) -> None:
    response = api.get("xh_staff", template, **params)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("change, field", [({"process": "no_such_process"}, None), ({"org": "NOPE"}, "org")])
def test_filing_for_an_unknown_process_or_org_is_404(api: Api, plan_data: dict[str, Any], change: dict[str, str],
                                                    field: str | None) -> None:
    body = {"process": "annual_plan", "org": "XH", "title": "计划", "data": plan_data, **change}
    response = api.post("xh_staff", "/cases", json=body)
    assert response.status_code == 404
    assert list(error_of(response).get("fields", {})) == ([field] if field else [])


def test_completing_twice_is_409(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    act(api, "xh_sg", case, "approve")
    response = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve"})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"


@pytest.mark.parametrize("body, fields", [
    ({"decision": "return", "comment": "  "}, {"comment": "选择“退回修改”时必须填写审批意见"}),
    ({"decision": "reject"}, {"comment": "选择“不同意”时必须填写审批意见"}),
    ({"decision": "submit"}, {"decision": "可选：同意、退回修改、不同意"}),
    ({"decision": "approve", "data": {"THRESHOLD": 10**12, "sg_compliance_checked": True}}, {"THRESHOLD": "表单中没有这个字段"}),
    ({"decision": "approve", "data": {"sg_compliance_checked": "是"}}, {"sg_compliance_checked": "格式不正确（应为是/否）"}),
    ({"comment": "同意"}, {"decision": "必填"}),
])
def test_invalid_decisions_are_422_with_fields(api: Api, plan_data: dict[str, Any], body: dict[str, Any],
                                               fields: dict[str, str]) -> None:
    case = file_plan(api, plan_data)
    response = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=open_task_id(case), json=body)
    assert (response.status_code, error_of(response)["fields"]) == (422, fields)
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=open_task_id(case)).get_json()["status"] == "open"


def test_invalid_plan_data_is_422_with_fields(api: Api, plan_data: dict[str, Any]) -> None:
    plan_data.update(plan_year="2027", secret_flag=True)
    del plan_data["income_total"]
    body = {"process": "annual_plan", "org": "XH", "title": "", "data": plan_data}
    title_error = error_of(api.post("xh_staff", "/cases", json=body))
    assert list(title_error["fields"]) == ["title"]
    error = error_of(api.post("xh_staff", "/cases", json={**body, "title": "计划"}))
    assert error["code"] == "invalid_data"
    assert error["fields"] == {"plan_year": "格式不正确（应为整数）", "income_total": "必填",
                               "secret_flag": "表单中没有这个字段"}
    assert api.get("xh_staff", "/tasks", query={"view": "started"}).get_json()["total"] == 0


def test_the_submitter_cannot_approve_their_own_case(api: Api, world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        add_test_user(session, "both", [("staff", world.org_ids["XH"]), ("secretary_general", world.org_ids["XH"])])
    case = file_plan(api, plan_data, username="both")
    task_id = open_task_id(case)
    assert api.get("both", "/tasks/{task_id}", task_id=task_id).get_json()["decisions"] == []
    assert api.get("both", "/tasks").get_json()["total"] == 0
    response = api.post("both", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve"})
    assert (response.status_code, error_of(response)["code"]) == (403, "forbidden")
    with world.sessions() as session:
        assert session.scalar(select(HumanTask.status).where(HumanTask.id == task_id)) == "open"
    assert act(api, "xh_sg", case, "approve")["tasks"][1]["completed_by"]["username"] == "xh_sg"


def test_errors_match_the_documented_shape(api: Api) -> None:
    response = api.get("xh_staff", "/cases/{case_id}", case_id=424242)
    assert_documented("/cases/{case_id}", "get", response)
    assert set(error_of(response)) <= {"code", "message", "fields"}

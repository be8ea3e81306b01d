"""Hostile input never gives a 500: NUL bytes, dates out of range, oversized ids, CR/LF in ``next=`` (issue 11, 5).

Every refusal is a 400/404/422 with a Chinese message (JSON on the API) and leaves the database as it was.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..review.helpers import approve_to, open_task_id, start

CHINESE = ("请求", "无效", "不存在", "字符", "日期", "有误")


def _events(world: World) -> tuple[int, int, int]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(HumanTask)) or 0)


def _refused(response: Any, *statuses: int) -> str:
    assert response.status_code in (statuses or (400, 422)), (response.status_code, response.get_data(as_text=True)[:400])
    text = json.dumps(response.get_json(), ensure_ascii=False) if response.is_json else response.get_data(as_text=True)
    assert any(word in text for word in CHINESE), text[:400]
    assert "Traceback" not in text
    return text


@pytest.fixture
def case_id(world: World, plan_data: dict[str, Any]) -> int:
    case = start(world, plan_data)
    approve_to(world, case, "sg_review", plan_data)
    return case


def test_nul_in_the_login_form_is_a_400(client: FlaskClient, world: World) -> None:
    before = _events(world)
    _refused(client.post("/login", data={"username": "a\x00b", "password": "x"}))
    _refused(client.post("/login?next=%00", data={"username": "xh_staff", "password": "x"}))
    assert _events(world) == before


@pytest.mark.parametrize("path", ["/?process=%00", "/done?q=%00", "/?org=%00", "/api/v1/tasks?process=%00"])
def test_nul_in_a_query_is_a_400(path: str, login: Callable[[str], FlaskClient], tokens: Any) -> None:
    client = login("xh_sg")
    response = client.get(path, headers=tokens("xh_sg") if path.startswith("/api/") else {})
    _refused(response, 400)
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "bad_request"


def test_nul_in_every_review_form_changes_nothing(case_id: int, world: World,
                                                  login: Callable[[str], FlaskClient]) -> None:
    task_id = open_task_id(world, case_id)
    staff = login("xh_staff")
    before = _events(world)
    _refused(staff.post(f"/cases/{case_id}/urge", data={"message": "催\x00办"}), 400)
    assert _events(world) == before
    sg = login("xh_sg")
    before = _events(world)
    for path, data in ((f"/tasks/{task_id}", {"decision": "save_draft", "comment": "草\x00稿"}),
                       (f"/tasks/{task_id}", {"decision": "approve", "comment": "同\x00意"}),
                       (f"/tasks/{task_id}/transfer", {"user": "xh_sg\x00", "note": "x"}),
                       (f"/cases/{case_id}/copy", {"users": ["xh_party"], "note": "抄\x00送"}),
                       ("/settings/proxy", {"proxy": "xh_party\x00", "starts_on": "2027-01-01"}),
                       ("/notifications/email", {"email": "a\x00@b.cn"})):
        _refused(sg.post(path, data=data), 400)
    assert _events(world) == before


def test_nul_in_api_bodies_is_refused(case_id: int, world: World, tokens: Any, client: FlaskClient) -> None:
    task_id = open_task_id(world, case_id)
    headers = tokens("xh_sg")
    before = _events(world)
    for path, body in ((f"/api/v1/tasks/{task_id}/draft", {"data": {"note": "a\x00b"}, "comment": ""}),
                       (f"/api/v1/tasks/{task_id}/transfer", {"user": "xh\x00", "note": ""}),
                       (f"/api/v1/cases/{case_id}/copies", {"users": ["xh_party"], "note": "\x00"}),
                       ("/api/v1/proxies", {"proxy": "xh_party\x00", "starts_on": "2027-01-01",
                                            "ends_on": "2027-02-01"})):
        response = client.post(path, json=body, headers=headers)
        _refused(response, 400, 422)
        assert response.is_json
    assert _events(world) == before


@pytest.mark.parametrize("query", ["from=0001-01-01", "to=9999-12-31", "from=0001-01-01&to=9999-12-31"])
def test_dates_out_of_range_on_audit_search(query: str, login: Callable[[str], FlaskClient]) -> None:
    client = login("auditor")
    for path in ("/audit/search", "/audit/search/export.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, (path, response.status_code)
        assert "日期应在 1900-01-01 到 2999-12-31 之间" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"])
def test_dates_out_of_range_on_the_inbox_and_api(query: str, login: Callable[[str], FlaskClient],
                                                 tokens: Any) -> None:
    client = login("xh_sg")
    for path in ("/", "/done", "/started", "/copied"):
        _refused(client.get(f"{path}?{query}"), 400)
    for view in ("todo", "done", "started", "copied"):
        response = client.get(f"/api/v1/tasks?view={view}&{query}", headers=tokens("xh_sg"))
        _refused(response, 400)
        assert response.is_json and "日期应在" in json.dumps(response.get_json(), ensure_ascii=False)


@pytest.mark.parametrize("path", ["/tasks/99999999999999999999999", "/cases/99999999999999999999999",
                                  "/cases/99999999999999999999999/print", "/audit/cases/99999999999999999999999",
                                  "/audit/cases/99999999999999999999999/diagram.bpmn",
                                  "/attachments/99999999999999999999999", "/tasks/2147483648"])
def test_oversized_ids_in_pages_are_not_found(path: str, login: Callable[[str], FlaskClient]) -> None:
    client = login("auditor" if path.startswith("/audit") else "xh_sg")
    _refused(client.get(path), 404)


@pytest.mark.parametrize("path", ["/tasks/99999999999999999999999/transfer", "/cases/99999999999999999999999/urge",
                                  "/cases/99999999999999999999999/copy", "/settings/proxy/99999999999999999999/cancel"])
def test_oversized_ids_in_posts_are_not_found(path: str, login: Callable[[str], FlaskClient]) -> None:
    _refused(login("xh_sg").post(path, data={"user": "xh_party"}), 404)


@pytest.mark.parametrize("path", ["/api/v1/tasks/99999999999999999999999/transfer",
                                  "/api/v1/cases/99999999999999999999999/urge",
                                  "/api/v1/tasks/99999999999999999999999/draft",
                                  "/api/v1/attachments/99999999999999999999999"])
def test_oversized_ids_in_the_api_are_not_found(path: str, client: FlaskClient, tokens: Any) -> None:
    method = client.get if path.startswith("/api/v1/attachments") else client.post
    response = method(path, json={}, headers=tokens("xh_sg"))
    _refused(response, 404)
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20x=1", "/\r\nLocation: https://evil.example",
                                    "/%0aX", "/tasks\n"])
def test_crlf_in_next_never_reaches_a_header(target: str, client: FlaskClient, world: World) -> None:
    from ..conftest import TEST_PASSWORD
    response = client.post("/login", data={"username": "xh_sg", "password": TEST_PASSWORD, "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location
    assert "Set-Cookie" not in location and "%0d" not in location.lower() and "%0a" not in location.lower()


def test_nul_anywhere_in_an_api_body_is_a_400(world: World, tokens: Any, client: FlaskClient,
                                              plan_data: dict[str, Any]) -> None:
    headers = tokens("xh_staff")
    before = _events(world)
    for body in ({"process": "annual_plan", "org": "X\x00H", "title": "计划", "data": plan_data},
                 {"process": "annual_plan", "org": "XH", "title": "计划", "data": {**plan_data, "k\x00": 1}}):
        response = client.post("/api/v1/cases", json=body, headers=headers)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    assert _events(world) == before

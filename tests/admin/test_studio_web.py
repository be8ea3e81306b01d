"""The studio over HTTP: admins only, the editor's JSON endpoints, uploads, versions, migration, catalogue."""
from __future__ import annotations

from io import BytesIO
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.runtime.models import Case, ProcessDefinition

from ..conftest import World
from ..security import samples
from .diagrams import ANNUAL_PLAN, with_supervisor_review

Login = Callable[[str], FlaskClient]


def _counts(world: World) -> tuple[int, int]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


@pytest.mark.parametrize("username", ["xh_staff", "auditor", "cast", None])
@pytest.mark.parametrize("path, method", [("/admin/", "get"), ("/admin/processes/annual_plan/edit", "get"),
                                          ("/admin/processes/annual_plan/deploy", "post"), ("/admin/people", "get")])
def test_only_admins_reach_the_studio(username: str | None, path: str, method: str, client: FlaskClient,
                                      login: Login) -> None:
    if username:
        login(username)
    response = getattr(client, method)(path, json={"xml": ANNUAL_PLAN, "comment": "x"})
    assert response.status_code == 404


def test_the_catalogue_page_and_nav_entry(login: Login) -> None:
    page = login("admin").get("/admin/").get_data(as_text=True)
    assert "年度工作计划前置审查" in page and "编辑流程图" in page and "流程管理" in page
    assert "流程管理" not in login("xh_staff").get("/").get_data(as_text=True)


def test_the_editor_page_relaxes_styles_only_for_itself(login: Login) -> None:
    client = login("admin")
    editor = client.get("/admin/processes/annual_plan/edit")
    assert editor.status_code == 200
    assert "'unsafe-inline'" in editor.headers["Content-Security-Policy"]
    assert "bpmn-modeler.production.min.js" in editor.get_data(as_text=True)
    assert "'unsafe-inline'" not in client.get("/admin/").headers["Content-Security-Policy"]
    source = client.get("/admin/processes/annual_plan/versions/1/bpmn")
    assert source.headers["Content-Disposition"].startswith("attachment")
    assert source.get_data(as_text=True) == ANNUAL_PLAN


def test_validate_names_the_elements_and_stores_nothing(world: World, login: Login) -> None:
    client = login("admin")
    before = _counts(world)
    broken = with_supervisor_review().replace('name="监事"', 'name="路人甲"')
    body = client.post("/admin/processes/annual_plan/validate", json={"xml": broken}).get_json()
    assert body["ok"] is False and [p["element"] for p in body["problems"]] == ["supervisor_review"]
    assert client.post("/admin/processes/annual_plan/validate", json={"xml": with_supervisor_review()}).get_json()["ok"]
    assert _counts(world) == before


def test_deploy_from_the_editor(world: World, login: Login) -> None:
    client = login("admin")
    refused = client.post("/admin/processes/annual_plan/deploy", json={"xml": with_supervisor_review(), "comment": ""})
    assert refused.status_code == 422 and "部署说明" in refused.get_json()["error"]["message"]
    bad = client.post("/admin/processes/annual_plan/deploy",
                      json={"xml": with_supervisor_review().replace('value="sg_review" />', 'value="nope" />', 1),
                            "comment": "试试"})
    assert bad.status_code == 422
    assert any(p["element"] and "表单 nope 不存在" in p["message"] for p in bad.get_json()["error"]["problems"])
    ok = client.post("/admin/processes/annual_plan/deploy",
                     json={"xml": with_supervisor_review(), "comment": "增加监事审核"})
    assert ok.status_code == 200 and ok.get_json()["version"] == 2 and ok.get_json()["message"] == "已部署第 2 版"
    assert client.post("/admin/processes/annual_plan/deploy", json={"xml": "x", "comment": 3}).status_code == 400


@pytest.mark.parametrize("document, expected", [
    (samples.xxe_file(samples.Path("/etc/passwd")), "DOCTYPE"),
    (samples.billion_laughs(), "XML 格式错误"),
    (samples.process(samples.gateway("__import__('os').system('id') == 0")), "元素 gw"),
    (samples.process(samples.script_task("import os")), "元素 calc"),
])
def test_hostile_uploads_are_refused_and_nothing_is_stored(document: str, expected: str, world: World,
                                                           login: Login) -> None:
    client = login("admin")
    before = _counts(world)
    for upload in ("editor", "file"):
        if upload == "editor":
            response = client.post("/admin/processes/probe/deploy", json={"xml": document, "comment": "上传"})
            text = repr(response.get_json()["error"]["problems"])
        else:
            response = client.post("/admin/upload", data={"comment": "上传", "file": (BytesIO(document.encode()), "evil.bpmn")},
                                   content_type="multipart/form-data")
            text = response.get_data(as_text=True)
        assert response.status_code == 422
        assert expected in text and "root:" not in text
    assert _counts(world) == before


def test_a_good_upload_deploys_a_new_process(world: World, login: Login) -> None:
    client = login("admin")
    response = client.post("/admin/upload", data={"comment": "新流程", "file": (BytesIO(samples.process().encode()), "probe.bpmn")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/processes/probe/versions")
    assert "新流程" in client.get("/admin/processes/probe/versions").get_data(as_text=True)


def _start(world: World, plan: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "计划", plan).id


def test_versions_diff_migrate_and_rollback_pages(world: World, login: Login, plan_data: dict[str, Any]) -> None:
    case_id = _start(world, plan_data)
    client = login("admin")
    client.post("/admin/processes/annual_plan/deploy", json={"xml": with_supervisor_review(), "comment": "增加监事审核"})
    versions = client.get("/admin/processes/annual_plan/versions").get_data(as_text=True)
    assert "增加监事审核" in versions and "测试admin" in versions
    diff = client.get("/admin/processes/annual_plan/diff?a=1&b=2").get_data(as_text=True)
    assert "监事审核" in diff and "新增" in diff and "supervisor_review" in diff
    assert client.get("/admin/processes/annual_plan/diff?a=x&b=2").status_code == 400
    preview = client.get("/admin/processes/annual_plan/migrate/2").get_data(as_text=True)
    assert "可迁移" in preview
    done = client.post("/admin/processes/annual_plan/migrate/2", data={"case_id": str(case_id)}, follow_redirects=True)
    assert "已迁移到第 2 版" in done.get_data(as_text=True)
    with world.sessions() as session:
        assert session.get(Case, case_id).definition.version == 2
    rolled = client.post("/admin/processes/annual_plan/rollback", data={"version": "1", "comment": "暂缓"},
                         follow_redirects=True)
    assert "已将第 1 版重新部署为第 3 版" in rolled.get_data(as_text=True)


def test_catalogue_switches_reach_the_start_page_and_the_api(world: World, login: Login,
                                                              tokens: Callable[[str], dict[str, str]]) -> None:
    client = login("admin")
    def listed(username: str) -> list[str]:
        return [p["key"] for p in client.get("/api/v1/processes", headers=tokens(username)).get_json()]
    assert "annual_plan" in listed("xh_staff")
    client.post("/admin/processes/annual_plan/catalogue", data={"enabled": "1", "scope": "some", "starters": ["YH"]})
    assert "annual_plan" not in listed("xh_staff") and "annual_plan" in listed("yh_staff")
    client.post("/admin/processes/annual_plan/catalogue", data={"scope": "all"})
    assert "annual_plan" not in listed("yh_staff")
    assert "年度工作计划前置审查" not in login("yh_staff").get("/start").get_data(as_text=True)

"""Attachments on the case and on opinions (type, size, content checks; permission-checked downloads) and 暂存."""
from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.cases import attachments as attachments
from engine.errors import InvalidData, NotFound, PermissionDenied

from ..api.conftest import Api
from ..conftest import TEST_PASSWORD, World
from ..webapp.helpers import file_plan, only_task, page
from .helpers import open_task_id, start

PDF = b"%PDF-1.4\n% test\n"


def add(world: World, username: str, case_id: int, name: str, data: bytes, uploads: Path,
        task_id: int | None = None) -> Any:
    with world.sessions() as session, session.begin():
        return attachments.add_attachment(session, world.user(session, username), case_id, name, data, uploads, task_id)


def test_case_and_opinion_attachments_are_stored_outside_the_web_root(world: World, plan_data: dict[str, Any],
                                                                      uploads: Path) -> None:
    case_id = start(world, plan_data)
    row = add(world, "xh_staff", case_id, "../../etc/计划.pdf", PDF, uploads)
    assert row.filename == "计划.pdf" and row.content_type == "application/pdf"
    stored = list((uploads / str(case_id)).iterdir())
    assert [p.read_bytes() for p in stored] == [PDF] and "计划" not in stored[0].name
    opinion = add(world, "xh_sg", case_id, "意见.txt", "同意".encode(), uploads, open_task_id(world, case_id))
    assert opinion.task_id == open_task_id(world, case_id)
    with world.sessions() as session:
        found, data = attachments.read_attachment(session, world.user(session, "cast"), row.id, uploads)
        assert data == PDF
        with pytest.raises(NotFound):
            attachments.read_attachment(session, world.user(session, "yh_sg"), row.id, uploads)


@pytest.mark.parametrize("name,data", [("a.exe", b"MZ"), ("a.pdf", b"<html>"), ("a.pdf", b""),
                                       ("a.pdf", b"%PDF-" + b"x" * (3 * 1024 * 1024)), ("a.txt", b"\xff\xfe"),
                                       ("noext", PDF), ("a.docx", PDF)])
def test_type_size_and_content_are_checked(world: World, plan_data: dict[str, Any], uploads: Path, name: str,
                                           data: bytes) -> None:
    case_id = start(world, plan_data)
    with pytest.raises(InvalidData):
        add(world, "xh_staff", case_id, name, data, uploads)


def test_only_the_submitter_or_a_handler_uploads(world: World, plan_data: dict[str, Any], uploads: Path) -> None:
    case_id = start(world, plan_data)
    with pytest.raises(PermissionDenied):
        add(world, "xh_finance", case_id, "a.pdf", PDF, uploads)
    with pytest.raises(PermissionDenied):
        add(world, "xh_party", case_id, "a.pdf", PDF, uploads, open_task_id(world, case_id))
    with pytest.raises(NotFound):
        add(world, "yh_staff", case_id, "a.pdf", PDF, uploads)


def test_a_tampered_file_is_not_served(world: World, plan_data: dict[str, Any], uploads: Path) -> None:
    case_id = start(world, plan_data)
    row = add(world, "xh_staff", case_id, "a.pdf", PDF, uploads)
    (uploads / str(case_id) / row.storage_key).write_bytes(b"%PDF-changed")
    with world.sessions() as session:
        with pytest.raises(NotFound):
            attachments.read_attachment(session, world.user(session, "xh_sg"), row.id, uploads)


def test_upload_download_and_draft_in_the_browser_pages(client: FlaskClient, plan_data: dict[str, Any],
                                                        world: World) -> None:
    def login(username: str) -> FlaskClient:
        client.post("/logout")
        client.post("/login", data={"username": username, "password": TEST_PASSWORD})
        return client
    import io
    case_id = file_plan(login("xh_staff"), plan_data)
    response = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(PDF), "预算表.pdf")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "附件已上传" in page(response) and "预算表.pdf" in page(response)
    response = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(b"MZ"), "x.exe")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "附件类型不允许" in page(response)
    login("xh_sg")
    [attachment_id] = [int(x) for x in __import__("re").findall(r'href="/attachments/(\d+)"',
                                                                 page(client.get(f"/cases/{case_id}")))]
    download = client.get(f"/attachments/{attachment_id}")
    assert download.data == PDF and "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    task_id = only_task(client)
    response = client.post(f"/tasks/{task_id}", data={"decision": "save_draft", "comment": "初步意见：同意"},
                           follow_redirects=True)
    assert "已暂存" in page(response) and "初步意见：同意" in page(client.get(f"/tasks/{task_id}"))
    login("yh_sg")
    assert client.get(f"/attachments/{attachment_id}").status_code == 404


def test_attachments_and_drafts_through_the_api(api: Api, plan_data: dict[str, Any]) -> None:
    from ..api.flow import file_plan as api_file_plan
    from ..api.flow import open_task_id as api_task
    case = api_file_plan(api, plan_data)
    body = {"filename": "说明.pdf", "content_base64": base64.b64encode(PDF).decode()}
    created = api.post("xh_staff", "/cases/{case_id}/attachments", case_id=case["id"], json=body)
    assert created.status_code == 201 and created.get_json()["size"] == len(PDF)
    bad = api.post("xh_staff", "/cases/{case_id}/attachments", case_id=case["id"],
                   json={"filename": "x.pdf", "content_base64": "!!"})
    assert bad.status_code == 422
    listed = api.get("xh_sg", "/cases/{case_id}/attachments", case_id=case["id"]).get_json()
    assert [a["filename"] for a in listed] == ["说明.pdf"]
    fetched = api.get("xh_sg", "/attachments/{attachment_id}", attachment_id=listed[0]["id"]).get_json()
    assert base64.b64decode(fetched["content_base64"]) == PDF
    assert api.get("yh_sg", "/attachments/{attachment_id}", attachment_id=listed[0]["id"]).status_code == 404
    task_id = api_task(case)
    saved = api.post("xh_sg", "/tasks/{task_id}/draft", task_id=task_id, json={"data": {}, "comment": "草稿"})
    assert saved.status_code == 200
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=task_id).get_json()["draft"]["comment"] == "草稿"
    assert api.post("xh_sg", "/tasks/{task_id}/draft", task_id=task_id,
                    json={"data": {"nope": 1}}).status_code == 422
    assert api.post("xh_party", "/tasks/{task_id}/draft", task_id=task_id, json={"data": {}}).status_code == 403

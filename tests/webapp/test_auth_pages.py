"""Logging in and out through the pages, redirects, CSRF and the friendly error page."""
from __future__ import annotations

import re
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from webapp import create_app

from ..conftest import TEST_PASSWORD
from .helpers import page

PROTECTED = ("/", "/done", "/started", "/start", "/start/annual_plan", "/tasks/1", "/cases/1")


@pytest.mark.parametrize("path", PROTECTED)
def test_pages_redirect_to_login_when_logged_out(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_page_is_friendly_and_chinese(client: FlaskClient) -> None:
    response = client.get("/login")
    body = page(response)
    assert response.status_code == 200 and "登录" in body and 'name="password"' in body
    assert "<script>" not in body and "style=" not in body


def test_wrong_password_is_refused_with_a_chinese_message(client: FlaskClient) -> None:
    response = client.post("/login", data={"username": "xh_sg", "password": "wrong-password"})
    body = page(response)
    assert response.status_code == 401
    assert "用户名或密码错误" in body and 'value="xh_sg"' in body and "alert-error" in body
    assert client.get("/").status_code == 302


def test_login_shows_the_user_and_roles_in_the_top_bar(login: Callable[[str], FlaskClient]) -> None:
    body = page(login("xh_sg").get("/"))
    assert "测试xh_sg" in body and "天津市测试学会 秘书长" in body
    assert re.search(r'<form method="post" action="/logout"', body)


def test_logout_revokes_the_session_cookie(app: Flask, login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_sg")
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    stolen = client.get_cookie(cookie_name)
    assert stolen is not None and client.get("/").status_code == 200
    response = client.post("/logout", follow_redirects=True)
    assert "您已安全退出" in page(response)
    client.set_cookie(cookie_name, stolen.value)
    replayed = client.get("/")
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")


@pytest.mark.parametrize("target,expected", [
    ("/started", "/started"), ("/tasks/5?x=1", "/tasks/5?x=1"), ("//evil.example/x", "/"),
    ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("", "/"),
])
def test_next_only_leads_to_this_site(client: FlaskClient, target: str, expected: str) -> None:
    response = client.post("/login", data={"username": "xh_sg", "password": TEST_PASSWORD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == expected


def test_error_pages_are_chinese_and_never_show_a_traceback(app: Flask, login: Callable[[str], FlaskClient]) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals")
    app.add_url_rule("/explode", "explode", explode)
    client = login("xh_sg")
    missing, broken = client.get("/tasks/999999"), client.get("/explode")
    assert missing.status_code == 404 and "不存在或您无权访问" in page(missing)
    assert broken.status_code == 500 and "系统内部错误" in page(broken)
    for body in (page(missing), page(broken)):
        assert "Traceback" not in body and "secret internals" not in body
        assert "返回上一页" in body and "回到待办" in body


@pytest.fixture
def csrf_client(db_url: str, world: object) -> FlaskClient:
    app = create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                      "WTF_CSRF_ENABLED": True}, environ={"BAGUAN_ENV": "testing"})
    return app.test_client()


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_a_post_without_csrf_token_is_refused(csrf_client: FlaskClient) -> None:
    credentials = {"username": "xh_sg", "password": TEST_PASSWORD}
    refused = csrf_client.post("/login", data=credentials)
    assert refused.status_code == 400 and "页面已过期或表单校验失败" in page(refused)
    assert "Traceback" not in page(refused)
    token = csrf_token(page(csrf_client.get("/login")))
    assert csrf_client.post("/login", data={**credentials, "csrf_token": token}).status_code == 302
    inbox = page(csrf_client.get("/"))
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200
    assert csrf_client.post("/logout", data={"csrf_token": csrf_token(inbox)}).status_code == 302
    assert csrf_client.get("/").status_code == 302

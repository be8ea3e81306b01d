"""HEAD is GET without a body: a HEAD carrying a form body must never run a view's POST branch (no CSRF check)."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases import operations as cases
from engine.runtime.models import Case, HumanTask

from ..conftest import TEST_PASSWORD, World
from ..webapp.helpers import page, plan_form
from .helpers import csrf_client, csrf_token


@pytest.fixture
def browser(db_url: str, world: World) -> FlaskClient:
    return csrf_client(db_url)


def _log_in(client: FlaskClient, username: str) -> None:
    token = csrf_token(page(client.get("/login")))
    response = client.post("/login", data={"username": username, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def _open_task(world: World, plan: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "2027 年度工作计划", plan)
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    assert task_id is not None
    return task_id


def test_a_head_with_credentials_does_not_log_in(browser: FlaskClient) -> None:
    response = browser.open("/login", method="HEAD", data={"username": "xh_sg", "password": TEST_PASSWORD})
    assert response.status_code == 200 and response.get_data() == b""
    assert browser.get("/").status_code == 302


def test_a_head_with_a_decision_does_not_complete_the_task(browser: FlaskClient, world: World,
                                                           plan_data: dict[str, Any]) -> None:
    task_id = _open_task(world, plan_data)
    _log_in(browser, "xh_sg")
    response = browser.open(f"/tasks/{task_id}", method="HEAD", data={"decision": "approve", "comment": "同意"})
    assert response.status_code == 200 and response.get_data() == b""
    with world.sessions() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None and (task.status, task.decision) == ("open", None)


def test_a_head_with_a_start_form_files_no_case(browser: FlaskClient, world: World, plan_data: dict[str, Any]) -> None:
    _log_in(browser, "xh_staff")
    response = browser.open("/start/annual_plan", method="HEAD", data=plan_form(plan_data))
    assert response.status_code == 200 and response.get_data() == b""
    with world.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0

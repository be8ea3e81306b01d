"""In Chromium: an admin adds a reviewed step in the studio's BPMN editor, sees a refused deploy's problems on
the diagram, deploys, and a case filed before the deploy finishes on the old version while a new one runs the new."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.cases import operations as cases
from engine.db import make_engine, make_session_factory
from engine.identity.models import Organisation, User
from engine.runtime.models import Case, HumanTask

from ..conftest import ANNUAL_PLAN, add_test_user
from ..plan_walk import REVIEW_STEPS, actor
from .test_work_plan_browser import file_plan, log_in, log_out

pytestmark = pytest.mark.browser


def open_editor(page: Any) -> None:
    page.goto("/admin/")
    page.locator("tr", has_text="年度工作计划前置审查").get_by_role("link", name="编辑流程图").click()
    page.wait_for_selector("#studio[data-ready='1']")
    assert "已载入" in page.inner_text("#studio-status")
    assert page.locator(".bjs-powered-by").count() == 1


def insert_supervisor_review(page: Any) -> str:
    page.click("[data-element-id='sg_review']")
    page.fill("#insert-name", "监事审核")
    page.select_option("#insert-role", label="监事")
    page.click("[data-action=insert]")
    assert "已插入" in page.inner_text("#studio-status")
    element_id = page.get_attribute("#properties .prop-id", "data-element")
    assert element_id and page.locator(f"[data-element-id='{element_id}']").count() == 1
    return element_id


def set_form(page: Any, form_key: str) -> None:
    page.fill("#properties input[data-prop=formKey]", form_key)
    page.press("#properties input[data-prop=formKey]", "Tab")


def deploy(page: Any, comment: str) -> str:
    page.fill("#deploy-comment", comment)
    page.click("[data-action=deploy]")
    expect(page.locator("#studio-status")).not_to_have_text(re.compile("正在部署"))
    return page.inner_text("#studio-status")


def test_a_refused_deploy_lists_and_marks_the_elements_then_a_fixed_one_deploys(page: Any) -> None:
    log_in(page, "admin")
    open_editor(page)
    element_id = insert_supervisor_review(page)
    set_form(page, "no_such_form")
    page.click("[data-action=validate]")
    page.wait_for_selector("#studio-problems:not([hidden])")
    status = deploy(page, "增加监事审核")
    assert "未保存任何内容" in status
    problem = page.locator(f"#studio-problems li[data-element='{element_id}']")
    assert "表单 no_such_form 不存在" in problem.inner_text()
    assert page.locator(f".djs-element.studio-problem[data-element-id='{element_id}']").count() == 1
    problem.click()
    assert page.get_attribute("#properties .prop-id", "data-element") == element_id
    set_form(page, "sg_review")
    assert deploy(page, "增加监事审核") == "已部署第 2 版"
    assert page.locator("#studio-problems").is_hidden()
    assert page.locator(".djs-element.studio-problem").count() == 0
    page.goto("/admin/processes/annual_plan/versions")
    assert "增加监事审核" in page.locator("main").inner_text()
    page.get_by_role("button", name="比较").click()
    assert "监事审核" in page.locator(".diff-added").inner_text()
    changed = page.locator(".diff-changed").inner_text()
    assert "f_sg_review" in changed and "1 个元素" in changed, "untouched steps keep every spiffworkflow property"


def _sessions(tmp_path: Path) -> Any:
    return make_session_factory(make_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}"))


def _approve_walk(sessions: Any, number: str) -> None:
    """Approve each step of the annual plan by its seeded holder until the case ends or waits at a step that is
    not in the shipped diagram (the one the admin inserted)."""
    while True:
        with sessions() as session, session.begin():
            case = session.scalar(select(Case).where(Case.number == number))
            tasks = list(session.scalars(select(HumanTask).where(HumanTask.case_id == case.id,
                                                                 HumanTask.status == "open")))
            if not tasks or tasks[0].bpmn_id not in REVIEW_STEPS:
                return
            username, data = actor(tasks[0].bpmn_id)
            user = session.scalar(select(User).where(User.username == username))
            cases.complete_task(session, user, tasks[0].id, "approve", "", data)


def _add_supervisor(sessions: Any) -> None:
    with sessions() as session, session.begin():
        xh = session.scalar(select(Organisation).where(Organisation.code == "XH"))
        add_test_user(session, "xh_supervisor", [("supervisor", xh.id)])


def _case_text(page: Any, number: str) -> str:
    page.goto("/started")
    page.locator("tr", has_text=number).get_by_role("link").first.click()
    return page.locator("main").inner_text()


def test_an_old_case_finishes_on_its_version_while_a_new_case_runs_the_new_step(page: Any, tmp_path: Path) -> None:
    log_in(page, "xh_staff")
    old_number = file_plan(page)
    log_out(page)
    log_in(page, "admin")
    open_editor(page)
    insert_supervisor_review(page)
    set_form(page, "sg_review")
    assert deploy(page, "增加监事审核") == "已部署第 2 版"
    log_out(page)
    log_in(page, "xh_staff")
    new_number = file_plan(page)
    log_out(page)
    sessions = _sessions(tmp_path)
    _add_supervisor(sessions)
    _approve_walk(sessions, old_number)
    _approve_walk(sessions, new_number)
    log_in(page, "xh_supervisor")
    row = page.locator("tr", has_text=new_number)
    assert "监事审核" in row.inner_text()
    assert page.locator("tr", has_text=old_number).count() == 0
    row.get_by_role("link", name="办理").click()
    page.check("#f-sg_compliance_checked")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    log_out(page)
    _approve_walk(sessions, new_number)
    log_in(page, "xh_staff")
    old_text, new_text = _case_text(page, old_number), _case_text(page, new_number)
    assert "第 1 版" in old_text and "已备案" in old_text and "监事审核" not in old_text
    assert "第 2 版" in new_text and "已备案" in new_text and "监事审核" in new_text
    assert ANNUAL_PLAN["plan_year"] == 2027

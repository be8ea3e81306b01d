"""In Chromium at 390×844 and 1366×768: a filer drafts the 发起 form with 暂存, finds it again, attaches a file and
files it; a 秘书长 ticks the required check beside 同意 and batch-approves from the inbox. Every page fits the screen,
shows its decision buttons without scrolling and no internal key (``make screenshots`` saves each page)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.review import task_ops as task_ops
from engine.runtime.models import HumanTask

from ..audit.helpers import file_plan
from ..conftest import ANNUAL_PLAN, World
from ..webapp.test_no_raw_keys import raw_keys
from .test_phone_layout import VIEWPORTS, fits, in_view, log_out
from .test_work_plan_browser import fill_rest_of_plan, log_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n% budget\n"


def shows_no_raw_key(page: Any, world: World, name: str) -> None:
    leaked = raw_keys(page.locator("body").inner_text(), frozenset(world.user_ids))
    assert not leaked, f"{name} shows internal keys: {sorted(leaked)}"


def viewport(page: Any, size: str) -> None:
    width, height = VIEWPORTS[size]
    page.set_viewport_size({"width": width, "height": height})
    page.on("dialog", lambda dialog: dialog.accept())


def buttons_in_view(page: Any, *names: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    for name in names:
        assert in_view(page, page.get_by_role("button", name=name, exact=True)), f"{name} is visible without scrolling"


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_filer_drafts_attaches_and_files_from_the_phone(page: Any, world: World, tmp_path: Path, size: str) -> None:
    viewport(page, size)
    log_in(page, "xh_staff")
    page.goto("/start/annual_plan")
    fits(page, "start-empty", size)
    buttons_in_view(page, "提交", "暂存")
    page.fill("#f-_title", "2027 年度工作计划")
    page.fill("#f-plan_year", "2027")
    page.fill("#f-guiding_principles", "坚持正确政治方向，服务科技工作者。")
    page.get_by_role("button", name="暂存", exact=True).click()
    page.wait_for_url(re.compile(r"/start/annual_plan$"))
    page.reload()
    assert "暂存的内容" in page.locator(".start-draft-note").inner_text()
    assert page.input_value("#f-guiding_principles") == "坚持正确政治方向，服务科技工作者。"
    fits(page, "start-draft", size)
    shows_no_raw_key(page, world, "start-draft")

    budget = tmp_path / "预算表.pdf"
    budget.write_bytes(PDF)
    page.set_input_files("#start-file-input", str(budget))
    page.get_by_role("button", name="暂存", exact=True).click()
    page.wait_for_url(re.compile(r"/start/annual_plan$"))
    assert "预算表.pdf" in page.locator(".kept-files").inner_text()
    fits(page, "start-draft-file", size)
    buttons_in_view(page, "提交", "暂存")
    page.locator("#start-files").scroll_into_view_if_needed()
    fits(page, "start-attach-view", size, full_page=False)
    assert in_view(page, page.get_by_role("button", name="提交", exact=True)), "提交 stays in view mid-form"
    shows_no_raw_key(page, world, "start-draft-file")

    fill_rest_of_plan(page)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    assert "预算表.pdf" in page.locator("#attachments").inner_text()
    fits(page, "start-filed", size)
    shows_no_raw_key(page, world, "start-filed")
    page.goto("/start/annual_plan")
    assert page.locator(".start-draft-note").count() == 0 and page.locator(".kept-files").count() == 0


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_secretary_ticks_the_check_and_batch_approves(page: Any, world: World, size: str) -> None:
    numbers = []
    for title in ("2027 年度工作计划", "2027 年度经费预算调整"):
        file_plan(world, dict(ANNUAL_PLAN), title=title)
    viewport(page, size)
    log_in(page, "xh_sg")
    numbers = page.locator("main .item-number").all_inner_texts()
    assert len(numbers) == 2
    page.locator("tr", has_text=numbers[0]).get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    fits(page, "task-sg-check", size, full_page=False)
    buttons_in_view(page, "同意", "退回修改", "不同意")
    tick = page.locator(".action-bar #f-sg_compliance_checked")
    assert in_view(page, tick) and page.locator("[name=sg_compliance_checked]").count() == 1
    shows_no_raw_key(page, world, "task-sg-check")

    page.goto("/")
    fits(page, "batch", size, full_page=False)
    buttons_in_view(page, "批量同意")
    shows_no_raw_key(page, world, "batch")
    for number in numbers:
        box = page.locator("tr", has_text=number).locator("input[name=task_ids]")
        box.scroll_into_view_if_needed()
        box.check()
    page.check("#batch-form input[name=checks_confirmed]")
    page.fill("#batch-form input[name=comment]", "同意。")
    page.get_by_role("button", name="批量同意", exact=True).click()
    page.wait_for_load_state("networkidle")
    result = page.locator(".flashes").inner_text()
    assert "已同意 2 件" in result and all(number in result for number in numbers)
    fits(page, "batch-done", size)
    shows_no_raw_key(page, world, "batch-done")
    log_out(page, size)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_delegate_replies_from_the_bar_on_the_phone(page: Any, world: World, size: str) -> None:
    case_id = file_plan(world, dict(ANNUAL_PLAN))
    with world.sessions() as session, session.begin():
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                             HumanTask.status == "open")).one()
        task_ops.delegate_task(session, world.user(session, "xh_sg"), task_id, "xh_finance", "请核对经费安排")
    viewport(page, size)
    log_in(page, "xh_finance")
    page.goto(f"/tasks/{task_id}")
    fits(page, "delegate-reply", size, full_page=False)
    buttons_in_view(page, "回复意见")
    assert in_view(page, page.locator(".action-bar #opinion"))
    assert "请核对经费安排" in page.locator("#reply").inner_text()
    shows_no_raw_key(page, world, "delegate-reply")
    page.fill("#opinion", "经费安排合理")
    page.get_by_role("button", name="回复意见", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    assert "已回复意见" in page.locator(".flashes").inner_text()

"""In Chromium: the reviewer workspace — tabs and search, 常用语, 退回 to a chosen step, 批量审批, 抄送 and 已阅,
委派 with its reply, and the printable 审批单."""
from __future__ import annotations

import re

import pytest

from .test_work_plan_browser import file_plan, log_in, log_out

pytestmark = pytest.mark.browser


def open_task(page, number: str) -> None:
    page.goto("/")
    page.locator("tr", has_text=number).get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))


def test_reviewer_journeys(page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "xh_staff")
    number = file_plan(page)
    page.locator("summary", has_text="抄送").click()
    page.select_option("#copy-users", ["xh_finance"])
    page.get_by_role("button", name="抄送", exact=True).click()
    assert "已抄送" in page.locator(".flashes").inner_text()
    log_out(page)

    log_in(page, "xh_sg")
    assert page.locator("[data-tab=todo] .tab-count").inner_text() == "1"
    page.fill("#f-q", number)
    page.get_by_role("button", name="筛选").click()
    assert number in page.locator("main table").inner_text()
    open_task(page, number)
    page.get_by_role("button", name="原则同意，请按意见修改后办理。").click()
    assert page.input_value("#comment") == "原则同意，请按意见修改后办理。"
    page.get_by_role("button", name="同意", exact=True).click()
    assert "须为“是”才能同意" in page.locator("main").inner_text()
    page.check("#f-sg_compliance_checked")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    log_out(page)

    log_in(page, "xh_finance")
    open_task(page, number)
    page.check("#f-budget_checked")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    log_out(page)

    log_in(page, "xh_party")
    open_task(page, number)
    page.select_option("#return_to", "sg_review")
    page.fill("#comment", "请秘书长复核经费安排")
    page.get_by_role("button", name="退回修改").click()
    page.wait_for_url(re.compile(r"/$"))
    log_out(page)

    log_in(page, "xh_sg")
    open_task(page, number)
    page.locator("summary", has_text="委派").click()
    page.select_option("#delegate-user", "xh_finance")
    page.get_by_role("button", name="确认委派").click()
    page.wait_for_url(re.compile(r"/$"))
    log_out(page)

    log_in(page, "xh_finance")
    open_task(page, number)
    page.fill("#opinion", "经费安排合理")
    page.get_by_role("button", name="回复意见").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/copied")
    page.locator("tr", has_text=number).get_by_role("link").first.click()
    page.get_by_role("button", name="标记已阅").click()
    assert "已标记为已阅" in page.locator(".flashes").inner_text()
    log_out(page)

    log_in(page, "xh_sg")
    page.locator(f"tr:has-text('{number}') input[name=task_ids]").check()
    page.fill("#batch-form input[name=comment]", "同意。")
    page.get_by_role("button", name="批量同意").click()
    assert "已逐件核对所选事项的核对项" in page.locator(".flashes").inner_text()
    page.locator(f"tr:has-text('{number}') input[name=task_ids]").check()
    page.check("#batch-form input[name=checks_confirmed]")
    page.fill("#batch-form input[name=comment]", "同意。")
    page.get_by_role("button", name="批量同意").click()
    assert "已同意 1 件" in page.locator(".flashes").inner_text()
    page.goto("/done")
    page.locator("tr", has_text=number).first.get_by_role("link").first.click()
    history = page.locator("main").inner_text()
    for text in ("退回到 秘书长审核", "委派", "委派回复", "经费安排合理", "抄送给 测试xh_finance", "已阅"):
        assert text in history, text
    with page.expect_popup() as popup:
        page.get_by_role("link", name="打印审批单").click()
    sheet = popup.value
    sheet.wait_for_load_state()
    assert "审批单" in sheet.locator("h1").inner_text()
    assert sheet.locator("tr.opinion-row").count() >= 3

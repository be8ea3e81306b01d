"""In Chromium: each role logs in and takes an annual work plan from filing to 已备案."""
from __future__ import annotations

import re
from typing import Any

import pytest

from ..conftest import TEST_PASSWORD
from ..plan_walk import COUNCIL

pytestmark = pytest.mark.browser


def log_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("登\\s*录")).click()
    page.wait_for_url(re.compile(r"/$"))


def log_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login"))


def fill_rest_of_plan(page, second_task: bool = False) -> None:
    """The 年度工作计划 form after its title, year and guiding principles (with a second key task: 添加一行)."""
    page.fill("#f-last_year_review", "完成学术年会等 12 项重点工作。")
    page.select_option("#f-key_tasks-0-category", "学术交流")
    page.fill("#f-key_tasks-0-name", "2027 学术年会")
    page.fill("#f-key_tasks-0-month", "10")
    if second_task:
        page.get_by_role("button", name="＋ 添加一行").click()
        page.select_option("#f-key_tasks-1-category", "科普")
        page.fill("#f-key_tasks-1-name", "全国科普日系列活动")
        page.fill("#f-key_tasks-1-month", "9")
    page.fill("#f-income_total", "500000")
    page.fill("#f-expense_total", "480000")
    page.fill("#f-party_building_plan", "开展主题党日活动 4 次。")


def file_plan(page) -> str:
    page.goto("/start")
    page.get_by_role("link", name=re.compile("年度工作计划前置审查")).first.click()
    page.fill("#f-_title", "2027 年度工作计划")
    page.fill("#f-plan_year", "2027")
    page.fill("#f-guiding_principles", "坚持正确政治方向，服务科技工作者。")
    fill_rest_of_plan(page, second_task=True)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    number = re.search(r"XH-\d{4}-JH-\d{4}", page.content())
    assert number, "the case page shows the case number"
    return number.group(0)


def approve_first_task(page, number: str, fields: dict[str, Any] | None = None) -> None:
    page.goto("/")
    row = page.locator("tr", has_text=number)
    row.get_by_role("link", name="办理").click()
    for selector, value in (fields or {}).items():
        if value is True:
            page.check(selector)
        elif page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    assert number not in page.locator("main").inner_text()


def test_each_role_takes_the_plan_to_filed(page) -> None:
    log_in(page, "xh_staff")
    number = file_plan(page)
    log_out(page)
    for username, fields in (
        ("xh_sg", {"#f-sg_compliance_checked": True}),
        ("xh_finance", {"#f-budget_checked": True}),
        ("xh_party", {"#comment": "政治方向正确，重大活动清单合规，同意提交理事长审定。"}),
        ("xh_president", {}),
        ("xh_sg", {f"#f-{key}": str(value) for key, value in COUNCIL.items()}),
        ("cast", {"#f-filing_number": "TAST-BA-2027-001"}),
    ):
        log_in(page, username)
        approve_first_task(page, number, fields)
        log_out(page)
    log_in(page, "xh_staff")
    page.goto("/started")
    page.locator("tr", has_text=number).get_by_role("link").first.click()
    text = page.locator("main").inner_text()
    assert "已备案" in text
    for step in ("秘书长审核", "财务审核年度收支预算", "党组织前置审查", "理事长审定", "常务理事会（理事会）审议表决",
                 "市科协学会部备案"):
        assert step in text

"""In Chromium at 390×844 (a phone) and 1366×768 (a laptop): every page a reviewer, filer, admin or auditor uses
fits the screen without sideways scrolling; a reviewer approves from the phone with the decisions in view; the case
page shows 流程进度; the 审批单 prints on at most two A4 pages.

With BAGUAN_SCREENSHOTS=<folder> (``make screenshots``) each visited page is also saved as a PNG."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.identity import accounts as identity
from engine.runtime.models import Case

from ..audit.helpers import decide, file_plan, run_plan_through
from ..conftest import ANNUAL_PLAN, World
from .test_work_plan_browser import log_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "laptop": (1366, 768)}
ALSO_FITS = ("/done", "/copied", "/notifications", "/settings", "/start", "/admin/", "/admin/forms", "/admin/tables",
             "/admin/people", "/admin/processes/annual_plan/versions", "/audit/", "/audit/search", "/audit/reports")
"""The other pages 秘书长 (also 管理员 and 审计员) opens; each must fit too."""
SHOTS = os.environ.get("BAGUAN_SCREENSHOTS", "")
KEY_TASKS = [
    {"category": "学术交流", "name": "2027 年学术年会暨智能制造高峰论坛", "month": 10, "department": "学术部",
     "budget": 180000, "foreign": False, "major_matter": True},
    {"category": "国际交流", "name": "中日智能制造国际学术研讨会", "month": 9, "department": "国际部", "budget": 120000,
     "foreign": True, "major_matter": True},
    {"category": "科普", "name": "全国科普日系列活动", "month": 9, "department": "科普部", "budget": 60000,
     "foreign": False, "major_matter": False},
    {"category": "人才举荐", "name": "青年科技奖推荐", "month": 5, "department": "组织部", "budget": 20000,
     "foreign": False, "major_matter": False},
]


OVERFLOWING = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .slice(0, 8).map(e => e.tagName + '.' + [...e.classList].join('.') + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"""


@dataclass(frozen=True)
class Scenario:
    reviewing: int
    """A plan with foreign items, approved by 秘书长, 财务 and 外事, waiting at 党组织前置审查."""
    filed: int
    """A plan that went all the way to 已备案."""
    number: str


@pytest.fixture
def scenario(world: World) -> Scenario:
    """Cases at each stage in the live server's database; 秘书长 also holds 管理员 and 审计员 (three role badges)."""
    with world.sessions() as session, session.begin():
        identity.grant_role(session, "xh_sg", "admin", "TAST")
        identity.grant_role(session, "xh_sg", "auditor", "TAST")
    plan = {**ANNUAL_PLAN, "key_tasks": KEY_TASKS}
    reviewing = file_plan(world, plan, title="2027 年度工作计划（含中日智能制造国际学术研讨会等涉外事项）")
    decide(world, reviewing, "xh_sg", comment="原则同意，请财务核对收支预算。")
    decide(world, reviewing, "xh_finance", comment="预算编制合理，资金来源合规。", data={"budget_checked": True})
    decide(world, reviewing, "xh_fa", comment="国际研讨会须另行报市外办审批。",
           data={"fa_opinion": "国际研讨会须另行报市外办审批。"})
    filed = file_plan(world, dict(ANNUAL_PLAN), title="2026 年度工作计划")
    run_plan_through(world, filed)
    file_plan(world, dict(ANNUAL_PLAN), title="2027 年度经费预算调整")
    with world.sessions() as session:
        number = session.get(Case, reviewing).number
    return Scenario(reviewing, filed, number)


def fits(page: Any, name: str, size: str, full_page: bool = True) -> None:
    """No sideways page scroll; with BAGUAN_SCREENSHOTS set, the page is saved as ``<name>-<size>.png``."""
    page.wait_for_load_state("networkidle")
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{size}.png"), full_page=full_page)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if SHOTS:
        height = page.evaluate("document.documentElement.scrollHeight")
        with (Path(SHOTS) / "sizes.tsv").open("a", encoding="utf-8") as sizes:
            sizes.write(f"{name}\t{size}\t{widths[0]}\t{widths[1]}\t{height}\n")
    if widths[0] > widths[1]:
        wide = page.evaluate(OVERFLOWING)
        pytest.fail(f"{name} at {size}: the page is {widths[0]} px wide on a {widths[1]} px screen; too wide: {wide}")


def in_view(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    height, width = page.evaluate("[window.innerHeight, window.innerWidth]")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height and box["x"] + box["width"] <= width


def menu(page: Any, size: str) -> None:
    """On a phone the navigation folds behind the menu button."""
    if size == "phone":
        page.locator(".nav-toggle").click()


def log_out(page: Any, size: str) -> None:
    menu(page, size)
    fits(page, "menu", size, full_page=False)
    assert in_view(page, page.get_by_role("button", name="退出"))
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login"))


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_page_fits_and_a_reviewer_approves_from_the_phone(page: Any, scenario: Scenario, size: str) -> None:
    width, height = VIEWPORTS[size]
    page.set_viewport_size({"width": width, "height": height})
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/login")
    fits(page, "login", size)
    log_in(page, "xh_sg")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    header = page.locator(".topbar-inner").bounding_box()
    assert header is not None and header["height"] <= 60, "the header stays one row, even with three role badges"
    fits(page, "inbox", size)
    card = page.locator("main tbody tr").first
    assert in_view(page, card.get_by_role("link", name="办理"))
    title = card.locator(".item-title").bounding_box()
    assert title is not None and title["width"] > 150, "inbox titles read as lines, not one character per line"

    for path in ALSO_FITS:
        page.goto(path)
        fits(page, path.strip("/").replace("/", "-") or "home", size)

    page.goto("/admin/processes/annual_plan/edit")
    page.wait_for_selector("#studio[data-ready='1']")
    fits(page, "studio", size, full_page=False)
    if size == "laptop":
        canvas, side = page.locator("#canvas").bounding_box(), page.locator(".studio-side").bounding_box()
        assert side["x"] >= canvas["x"] + canvas["width"] and side["y"] < height / 2, "properties beside the canvas"
        assert canvas["y"] + 300 <= height, "the canvas shows at least 300 px without scrolling"

    page.goto(f"/audit/cases/{scenario.reviewing}")
    page.wait_for_selector("#audit-diagram svg")
    fits(page, "audit-case", size)
    diagram, trail = page.locator(".audit-diagram-card").bounding_box(), page.locator(".audit-trail-card").bounding_box()
    if size == "phone":
        assert trail["y"] >= diagram["y"] + diagram["height"] and trail["width"] >= width - 40, "stacked full-width"
    log_out(page, size)

    log_in(page, "xh_party")
    page.locator("tr", has_text=scenario.number).get_by_role("link", name="办理").click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    fits(page, "task", size, full_page=False)
    fits(page, "task-whole", size)
    page.evaluate("window.scrollTo(0, 0)")
    for name in ("同意", "退回修改", "不同意"):
        assert in_view(page, page.get_by_role("button", name=name, exact=True)), f"{name} is visible without scrolling"
    assert page.locator("#task-form textarea").count() == 1, "one opinion box, not two"
    assert page.locator("label[for=comment]").inner_text().startswith("党组织审查意见")
    route = page.locator("#route").inner_text()
    assert "国际研讨会须另行报市外办审批。" in route and "市科协学会部备案" in route
    page.fill("#comment", "政治方向正确，重大活动清单合规。")
    page.get_by_role("button", name="同意", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    assert "已同意" in page.locator(".flashes").inner_text()
    log_out(page, size)

    log_in(page, "xh_staff")
    page.goto("/start/annual_plan")
    fits(page, "start-form", size)
    page.goto("/started")
    fits(page, "started", size)
    page.locator("tr", has_text=scenario.number).locator(".item-title").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    fits(page, "case", size)
    steps = page.locator("#route .route-step")
    states = steps.evaluate_all("items => items.map(i => i.dataset.state)")
    assert states[:5] == ["done"] * 5 and "current" in states and states[-1] == "upcoming"
    current = page.locator("#route .route-current").inner_text()
    assert "理事长审定" in current and "测试xh_president" in current and "期限" in current
    done = page.locator("#route .route-done").all_inner_texts()
    assert any("测试xh_party" in d and "政治方向正确，重大活动清单合规。" in d for d in done)
    plan_table = page.locator(".subtable-readonly").first
    assert plan_table.evaluate("t => t.closest('.table-scroll').scrollWidth <= t.closest('.table-scroll').clientWidth")
    assert "中日智能制造国际学术研讨会" in plan_table.inner_text()

    page.goto(f"/cases/{scenario.filed}/print")
    fits(page, "print", size)
    sheet = page.locator("body").inner_text()
    for words in ("津科协备〔2027〕1号", "表决通过", "收支预算已核对", "党组织前置审查", "市科协学会部备案"):
        assert words in sheet
    if size == "laptop":
        pdf = page.pdf(format="A4")
        assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2, "the 审批单 prints on one or two A4 pages"
        if SHOTS:
            (Path(SHOTS) / "print-a4.pdf").write_bytes(pdf)

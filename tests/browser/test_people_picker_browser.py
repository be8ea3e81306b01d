"""In Chromium on a 390 px phone: the 代理人 picker searches people by name and the chosen one is set as proxy."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from engine.clock import beijing_today

from ..conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser

OPTIONS = "[...document.querySelectorAll('#proxy-people option')].map(o => o.value)"


def test_proxy_picker_on_a_phone(page, tmp_path: Path) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("#username", "xh_sg")
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("登\\s*录")).click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/settings")
    field = page.locator("#proxy-user")
    box = field.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "xh_party" in page.evaluate(OPTIONS) and "yh_finance" not in page.evaluate(OPTIONS)
    field.press_sequentially("finan")
    expect(page.locator("#proxy-people option")).to_have_count(1)
    assert page.evaluate(OPTIONS) == ["xh_finance"]
    field.fill("xh_finance")
    today = beijing_today()
    page.fill("#proxy-start", today.isoformat())
    page.fill("#proxy-end", (today + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="设置代理人").click()
    page.wait_for_url(re.compile(r"/settings$"))
    assert page.get_by_text("已设置代理人").is_visible()
    page.screenshot(path=str(tmp_path / "proxy-picker-390.png"), full_page=True)

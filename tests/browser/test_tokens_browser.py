"""In Chromium on a 390 px phone: the 访问令牌 page fits the screen and its 撤销 button works."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.identity import accounts as identity

from ..conftest import TEST_PASSWORD, World

pytestmark = pytest.mark.browser


WIDEST_CONTENT = "Math.max(...[...document.querySelectorAll('main *')].map(e => e.getBoundingClientRect().right))"


def _widest_content(page) -> float:
    """The right edge of the page's own content (the shared top bar is laid out by base.html)."""
    return page.evaluate(WIDEST_CONTENT)


def test_tokens_page_on_a_phone(page, world: World, tmp_path: Path) -> None:
    with world.sessions() as session, session.begin():
        tokens = [identity.create_token(session, "xh_sg") for _ in range(2)]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("#username", "xh_sg")
    page.fill("#password", TEST_PASSWORD)
    page.get_by_role("button", name=re.compile("登\\s*录")).click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/settings")
    page.get_by_role("link", name="访问令牌").click()
    page.wait_for_url(re.compile(r"/account/tokens$"))
    assert _widest_content(page) <= 390
    buttons = page.get_by_role("button", name="撤销")
    assert buttons.count() == 2
    box = buttons.first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 28
    buttons.first.click()
    page.wait_for_url(re.compile(r"/account/tokens$"))
    assert page.get_by_text(re.compile(f"已撤销令牌 {re.escape(tokens[1][:10])}")).is_visible()
    assert page.get_by_role("button", name="撤销").count() == 1
    assert _widest_content(page) <= 390
    page.screenshot(path=str(tmp_path / "tokens-390.png"), full_page=True)

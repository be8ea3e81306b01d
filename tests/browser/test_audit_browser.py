"""In Chromium: an auditor opens a case's history; the diagram of its version renders with the path marked."""
from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from engine.db import Base, make_engine, make_session_factory
from webapp import create_app

from ..audit.helpers import decide, file_plan
from ..conftest import ANNUAL_PLAN, seed_world
from .test_work_plan_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """A live Baguan holding one plan the secretary-general returned with a comment."""
    url = f"sqlite:///{tmp_path / 'audit-browser.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    world = seed_world(make_session_factory(engine))
    case_id = file_plan(world, dict(ANNUAL_PLAN), "XH", "审计浏览器测试计划")
    decide(world, case_id, "xh_sg", "return", "请补充预算依据")
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "BAGUAN_ENV": "testing", "SECRET_KEY": "browser-test-secret-0123456789"},
                     environ={"BAGUAN_ENV": "testing"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_history_page_marks_the_path_in_the_diagram(page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, "auditor")
    page.get_by_role("link", name="审计", exact=True).click()
    assert "审计链完整" in page.locator("#chain-status").inner_text()
    page.get_by_role("link", name="审计查询").click()
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=re.compile(r"XH-\d{4}-JH-0001")).first.click()
    page.wait_for_selector("#audit-diagram[data-rendered='true']", timeout=15000)
    assert page.locator("#audit-diagram svg").count() >= 1
    assert page.locator(".djs-element.audit-returned[data-element-id='sg_review']").count() == 1
    assert page.locator(".djs-element.audit-current[data-element-id='draft']").count() == 1
    assert page.locator(".djs-connection.audit-flow").count() >= 1
    timeline = page.locator(".audit-trail").inner_text()
    assert "请补充预算依据" in timeline and "退回修改" in timeline and "秘书长" in timeline
    assert page.locator("#dossier-link").get_attribute("href").endswith("/dossier.zip")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors

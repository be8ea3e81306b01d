"""A live Baguan on a free port and a headless Debian Chromium driven by Playwright."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest
from werkzeug.serving import make_server

from sqlalchemy import select

from engine.db import Base, make_engine, make_session_factory
from engine.identity.models import Organisation, User
from webapp import create_app

from ..conftest import World, seed_world

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-quic"]


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    seed_world(make_session_factory(engine))
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "BAGUAN_ENV": "testing", "SECRET_KEY": "browser-test-secret-0123456789",
                      "UPLOAD_DIR": str(tmp_path / "uploads")},
                     environ={"BAGUAN_ENV": "testing"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def world(live_url: str, tmp_path: Path) -> Iterator[World]:
    """The live server's seeded database, for arranging cases before the browser visits them."""
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}")
    world = World(make_session_factory(engine))
    with world.sessions() as session:
        world.user_ids = {u.username: u.id for u in session.scalars(select(User))}
        world.org_ids = {o.code: o.id for o in session.scalars(select(Organisation))}
    yield world
    engine.dispose()


@pytest.fixture
def page(live_url: str) -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(base_url=live_url, locale="zh-CN")
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()

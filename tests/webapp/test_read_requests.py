"""On SQLite a reading request (GET, HEAD) takes no write lock: it answers while another transaction writes."""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

from engine import journal as audit
from engine.identity import accounts as identity
from engine.identity.models import Organisation
from webapp.extensions import commit, db_session, writes_on_read

from ..conftest import World

ANSWER_WITHIN_SECONDS = 5


def while_a_writer_holds_the_lock(db_url: str, request: Callable[[], TestResponse]) -> TestResponse:
    """Run ``request`` while a second connection holds BEGIN IMMEDIATE; the lock is released either way."""
    writer = sqlite3.connect(str(make_url(db_url).database), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(request)
            try:
                return pending.result(timeout=ANSWER_WITHIN_SECONDS)
            finally:
                writer.execute("ROLLBACK")
    finally:
        writer.close()


@pytest.fixture
def sqlite_url(db_url: str) -> str:
    if not db_url.startswith("sqlite"):
        pytest.skip("the database-wide write lock is SQLite's")
    return db_url


def test_an_api_get_answers_while_another_connection_writes(sqlite_url: str, client: FlaskClient,
                                                            tokens: Callable[[str], dict[str, str]]) -> None:
    headers = tokens("xh_sg")
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    response = while_a_writer_holds_the_lock(sqlite_url, lambda: client.get("/api/v1/tasks", headers=headers))
    assert response.status_code == 200


def test_a_page_answers_while_another_connection_writes(sqlite_url: str,
                                                         login: Callable[[str], FlaskClient]) -> None:
    browser = login("xh_sg")
    assert browser.get("/").status_code == 200
    response = while_a_writer_holds_the_lock(sqlite_url, lambda: browser.get("/"))
    assert response.status_code == 200
    assert while_a_writer_holds_the_lock(sqlite_url, lambda: browser.head("/")).status_code == 200


def test_a_get_writes_only_when_its_view_says_so(app: Flask, world: World) -> None:
    """A GET view that writes unmarked fails at its first flush (in every test, not only under concurrency)."""
    def add_org(code: str) -> str:
        identity.add_org(db_session(), code, f"探针 {code}", "society", "TAST")
        commit()
        return "ok"

    app.add_url_rule("/probe/unmarked", "probe_unmarked", lambda: add_org("PROBE1"))
    app.add_url_rule("/probe/marked", "probe_marked", writes_on_read(lambda: add_org("PROBE2")))
    client = app.test_client()
    assert client.get("/probe/unmarked").status_code == 500
    assert client.get("/probe/marked").status_code == 200
    with world.sessions() as session:
        assert set(session.scalars(select(Organisation.code).where(Organisation.code.like("PROBE%")))) == {"PROBE2"}


def test_a_get_that_only_records_an_audit_event_must_be_marked_too(app: Flask, world: World) -> None:
    """The audit append writes with Core statements at commit, not with a flush: it is refused all the same."""
    def log_a_reading() -> str:
        audit.record(db_session(), "test.read_logged", actor_name="测试")
        commit()
        return "ok"

    app.add_url_rule("/probe/audit", "probe_audit", lambda: log_a_reading())
    app.add_url_rule("/probe/audit-marked", "probe_audit_marked", writes_on_read(lambda: log_a_reading()))
    client = app.test_client()
    assert client.get("/probe/audit").status_code == 500
    assert client.get("/probe/audit-marked").status_code == 200
    with world.sessions() as session:
        assert len(session.scalars(select(audit.AuditEvent.id).where(audit.AuditEvent.action == "test.read_logged"))
                   .all()) == 1

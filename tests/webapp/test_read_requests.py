"""On SQLite a reading request (GET, HEAD) takes no write lock: it answers while another transaction writes."""
from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

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

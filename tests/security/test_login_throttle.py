"""Login throttling: by (account, client address), growing delays, atomic under parallel guesses, aggregated audit."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.identity import accounts as identity
from engine.journal import AuditEvent
from webapp import create_app
from webapp.config import ConfigError, load_config

from ..conftest import TEST_PASSWORD, World

T0 = datetime(2026, 11, 30, 9, 0, 0)
WRONG = "wrong-password"
ATTACKER, OWNER, PROXY = "203.0.113.9", "198.51.100.7", "10.0.0.2"


def _attempt(world: World, password: str, at: datetime, address: str = ATTACKER,
             username: str = "xh_sg") -> identity.LoginResult:
    with world.sessions() as session, session.begin():
        return identity.authenticate(session, username, password, address, now=at)


def _actions(world: World) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.startswith("login."))
                                    .order_by(AuditEvent.id)))


def _app(db_url: str, proxies: int) -> Flask:
    return create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                       "WTF_CSRF_ENABLED": False, "TRUSTED_PROXIES": proxies}, environ={"BAGUAN_ENV": "testing"})


def _post_login(client: FlaskClient, password: str, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = client.post("/login", data={"username": "xh_sg", "password": password}, headers=headers,
                           environ_base={"REMOTE_ADDR": PROXY})
    return response.status_code


def test_a_stranger_cannot_lock_the_owner_out(db_url: str, world: World) -> None:
    """Behind one trusted proxy, the attacker's guesses slow down only the attacker's own address."""
    app = _app(db_url, proxies=1)
    statuses = [_post_login(app.test_client(), WRONG, ATTACKER) for _ in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    assert _post_login(app.test_client(), TEST_PASSWORD, OWNER) == 302


def test_the_right_password_is_checked_again_once_the_delay_is_over(world: World) -> None:
    for _ in range(5):
        assert _attempt(world, WRONG, T0).error == "用户名或密码错误"
    refused = _attempt(world, TEST_PASSWORD, T0 + timedelta(seconds=10))
    assert refused.throttled and refused.user is None and refused.retry_after == 20
    assert refused.error == "登录失败次数过多，请 20 秒后再试"
    welcome = _attempt(world, TEST_PASSWORD, T0 + timedelta(seconds=30))
    assert welcome.user is not None and welcome.user.username == "xh_sg"
    assert not _attempt(world, WRONG, T0 + timedelta(seconds=31)).throttled


def test_delays_grow_with_each_further_failure_up_to_fifteen_minutes(world: World) -> None:
    at, waits = T0, []
    for _ in range(5):
        _attempt(world, WRONG, at)
    for _ in range(7):
        waits.append(_attempt(world, WRONG, at).retry_after)
        at += timedelta(seconds=waits[-1])
        assert _attempt(world, WRONG, at).error == "用户名或密码错误"
    assert waits == [30, 60, 120, 240, 480, 900, 900]
    assert _attempt(world, WRONG, at).error == "登录失败次数过多，请约 15 分钟后再试"


def test_failures_are_forgotten_after_an_hour_of_quiet(world: World) -> None:
    for _ in range(5):
        _attempt(world, WRONG, T0)
    later = T0 + timedelta(hours=1, seconds=31)
    assert [_attempt(world, WRONG, later).throttled for _ in range(6)] == [False] * 5 + [True]


def test_spraying_many_accounts_from_one_address_is_slowed_down(world: World) -> None:
    usernames = [name for name in world.user_ids][:7]
    results = [_attempt(world, WRONG, T0, username=name) for name in usernames for _ in range(3)]
    assert [r.throttled for r in results] == [False] * 20 + [True]
    assert not _attempt(world, WRONG, T0, address=OWNER, username=usernames[0]).throttled


def test_parallel_guesses_check_no_more_than_the_free_failures(world: World) -> None:
    """40 guesses at once: the check and the count are one step, so exactly 5 passwords are checked."""
    start, results = threading.Barrier(40), []

    def guess() -> None:
        start.wait()
        results.append(_attempt(world, WRONG, T0))

    threads = [threading.Thread(target=guess) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(r.throttled for r in results) == {False: 5, True: 35}
    assert Counter(_actions(world)) == {"login.failed": 5, "login.throttled": 1}


def test_refused_attempts_are_one_audit_event_per_block(world: World) -> None:
    for _ in range(5):
        _attempt(world, WRONG, T0)
    for _ in range(20):
        assert _attempt(world, WRONG, T0 + timedelta(seconds=5)).throttled
    _attempt(world, WRONG, T0 + timedelta(seconds=30))
    assert _actions(world) == ["login.failed"] * 5 + ["login.throttled", "login.failed", "login.throttled"]
    with world.sessions() as session:
        blocks = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")
                                 .order_by(AuditEvent.id)).all()
    assert [(b.detail["retry_after"], b.detail["refused_in_previous_block"]) for b in blocks] == [(30, 0), (60, 20)]
    assert blocks[0].detail["username"] == "xh_sg" and blocks[0].detail["remote_addr"] == ATTACKER


def test_forwarded_for_is_ignored_without_a_trusted_proxy(db_url: str, world: World) -> None:
    """A client cannot dodge the throttle by inventing X-Forwarded-For addresses."""
    client = _app(db_url, proxies=0).test_client()
    statuses = [_post_login(client, WRONG, f"192.0.2.{n}") for n in range(6)]
    assert statuses == [401] * 5 + [429]


def test_a_throttled_login_page_says_when_to_retry(db_url: str, world: World) -> None:
    client = _app(db_url, proxies=0).test_client()
    for _ in range(5):
        _post_login(client, WRONG)
    response = client.post("/login", data={"username": "xh_sg", "password": TEST_PASSWORD},
                           environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 429 and 0 < int(response.headers["Retry-After"]) <= 30
    assert "登录失败次数过多" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["two", "-1", "6"])
def test_trusted_proxies_must_be_a_small_hop_count(tmp_path: Path, value: str) -> None:
    environ = {"BAGUAN_ENV": "testing", "BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
               "BAGUAN_TRUSTED_PROXIES": value}
    with pytest.raises(ConfigError, match="BAGUAN_TRUSTED_PROXIES"):
        load_config(environ)

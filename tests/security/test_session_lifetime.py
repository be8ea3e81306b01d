"""A login session ends at its absolute lifetime however busy it is, and after an idle timeout."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import pytest
from flask.testing import FlaskClient
from freezegun import freeze_time

from webapp.config import ConfigError, load_config

from ..webapp.helpers import page

T0 = datetime(2026, 11, 30, 8, 0, 0)


def _logged_in(response_status: int) -> bool:
    assert response_status in (200, 302)
    return response_status == 200


def test_an_active_session_still_ends_after_eight_hours(login: Callable[[str], FlaskClient]) -> None:
    with freeze_time(T0) as clock:
        client = login("xh_sg")
        for _ in range(23):
            clock.tick(timedelta(minutes=20))
            assert _logged_in(client.get("/").status_code)
        clock.tick(timedelta(minutes=19, seconds=59))
        assert _logged_in(client.get("/").status_code)
        clock.tick(timedelta(seconds=2))
        expired = client.get("/")
        assert expired.status_code == 302 and expired.headers["Location"].startswith("/login")
        assert "登录已超时，请重新登录" in page(client.get("/login"))


def test_a_session_left_idle_ends_after_thirty_minutes(login: Callable[[str], FlaskClient]) -> None:
    with freeze_time(T0) as clock:
        client = login("xh_sg")
        clock.tick(timedelta(minutes=29))
        assert _logged_in(client.get("/").status_code)
        clock.tick(timedelta(minutes=29))
        assert _logged_in(client.get("/").status_code)
        clock.tick(timedelta(minutes=30, seconds=1))
        assert not _logged_in(client.get("/").status_code)


def test_a_session_without_a_login_time_is_refused(login: Callable[[str], FlaskClient]) -> None:
    """A cookie signed before the limits existed (or trimmed by hand) does not get a fresh lifetime."""
    client = login("xh_sg")
    with client.session_transaction() as session:
        session.pop("_logged_in_at")
    assert not _logged_in(client.get("/").status_code)


def _config(tmp_path: Path, **values: str) -> dict[str, object]:
    return load_config({"BAGUAN_ENV": "testing", "BAGUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                        **values})


def test_the_idle_timeout_is_configurable(tmp_path: Path) -> None:
    assert _config(tmp_path)["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert _config(tmp_path, BAGUAN_SESSION_IDLE_MINUTES="45")["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=45)


@pytest.mark.parametrize("name,value,message", [
    ("BAGUAN_SESSION_IDLE_MINUTES", "half an hour", "BAGUAN_SESSION_IDLE_MINUTES 必须是整数"),
    ("BAGUAN_SESSION_IDLE_MINUTES", "0", "BAGUAN_SESSION_IDLE_MINUTES 必须至少为 1"),
    ("BAGUAN_SESSION_IDLE_MINUTES", "600", "不超过会话总时长"),
    ("BAGUAN_SESSION_HOURS", "0", "BAGUAN_SESSION_HOURS 必须在 1 到 168 之间"),
])
def test_bad_session_limits_are_clear_errors(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(tmp_path, **{name: value})

"""PostgreSQL connections are pinged before use only after sitting idle (engine.db.make_engine)."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from engine.db import make_engine

from ..conftest import PG_PROBLEM, PG_URL


def _engine(ping_after_idle: float) -> Iterator[Engine]:
    if PG_PROBLEM:
        pytest.skip(f"PostgreSQL not reachable: {PG_PROBLEM}")
    engine = make_engine(PG_URL, ping_after_idle=ping_after_idle, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def pings_every_checkout() -> Iterator[Engine]:
    yield from _engine(0.0)


@pytest.fixture
def pings_after_an_hour() -> Iterator[Engine]:
    yield from _engine(3600.0)


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pid: int) -> None:
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        admin.dispose()


def test_a_connection_dropped_while_idle_is_replaced_before_use(pings_every_checkout: Engine) -> None:
    dropped = _backend_pid(pings_every_checkout)
    _terminate(dropped)
    assert _backend_pid(pings_every_checkout) != dropped


def test_a_recently_used_connection_is_not_pinged(pings_after_an_hour: Engine) -> None:
    """No round trip for a ping while the pool is busy: a connection dropped inside the window fails its one
    request (the web app answers 503, 请稍后重试), and the pool replaces it for the next."""
    dropped = _backend_pid(pings_after_an_hour)
    _terminate(dropped)
    with pytest.raises(OperationalError):
        _backend_pid(pings_after_an_hour)
    assert _backend_pid(pings_after_an_hour) != dropped

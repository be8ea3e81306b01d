"""Login throttling by (account, client address) with growing delays, after OWASP's authentication guidance.

Each key is a row of ``login_throttle``: one per username typed from one client address, and one per client
address (password spraying across accounts). A few failures are free; after that each failure makes the
next password check wait longer (30 s, 1 min, 2 min ... at most 15 min). Nothing is ever locked for good,
and a client that has not been failing is not slowed down by someone else's guesses.

The rows are locked before they are read (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions
begin with ``BEGIN IMMEDIATE``), so checking and counting are one step: parallel guesses queue on the row.
Refused attempts only bump a counter; the audit chain gets one ``login.throttled`` event per block.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.identity.models import LoginThrottle


class Scope(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


FREE_FAILURES = {Scope.ACCOUNT: 5, Scope.ADDRESS: 20}
FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
_LOCK_ATTEMPTS = 3


@dataclass(frozen=True)
class Gate:
    """The locked throttle rows of one login attempt."""

    rows: tuple[LoginThrottle, ...]
    now: datetime

    @property
    def wait_seconds(self) -> int:
        """Seconds until a password may be checked for this key; 0 = now."""
        waits = [(row.blocked_until - self.now).total_seconds() for row in self.rows if row.blocked_until]
        return max([0, *(math.ceil(w) for w in waits)])


def delay_after(failures: int, scope: Scope) -> timedelta:
    """How long the next password check waits after ``failures`` recent failures."""
    over = failures - FREE_FAILURES[scope]
    if over < 0:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(over, 16), MAX_DELAY)


def enter(session: Session, username: str, remote_addr: str, now: datetime) -> Gate:
    """Lock the attempt's rows (account first, then address) and forget failures older than FORGET_AFTER."""
    rows = (_locked_row(session, Scope.ACCOUNT, username, remote_addr, now),
            _locked_row(session, Scope.ADDRESS, "", remote_addr, now))
    for row in rows:
        if row.updated_at < now - FORGET_AFTER and (row.blocked_until is None or row.blocked_until <= now):
            row.failures, row.refused, row.blocked_until = 0, 0, None
    return Gate(rows, now)


def refuse(session: Session, gate: Gate) -> int:
    """Count an attempt turned away without checking its password; returns the seconds to wait."""
    for row in gate.rows:
        if row.blocked_until is not None and row.blocked_until > gate.now:
            row.refused += 1
            row.updated_at = gate.now
    session.flush()
    return gate.wait_seconds


def fail(session: Session, gate: Gate) -> None:
    """Count a wrong password; a key that runs out of free failures starts a block (one audit event)."""
    for row in gate.rows:
        row.failures += 1
        row.updated_at = gate.now
        delay = delay_after(row.failures, Scope(row.scope))
        if delay:
            _start_block(session, row, gate.now, delay)
    session.flush()


def succeed(session: Session, gate: Gate) -> None:
    """A correct password clears its account key (not the address key) and prunes forgotten rows."""
    account = gate.rows[0]
    account.failures, account.refused, account.blocked_until, account.updated_at = 0, 0, None, gate.now
    session.flush()
    session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < gate.now - FORGET_AFTER,
                                                LoginThrottle.id.not_in([row.id for row in gate.rows])))


def wait_message(seconds: int) -> str:
    if seconds < 60:
        return f"登录失败次数过多，请 {seconds} 秒后再试"
    return f"登录失败次数过多，请约 {math.ceil(seconds / 60)} 分钟后再试"


def _start_block(session: Session, row: LoginThrottle, now: datetime, delay: timedelta) -> None:
    audit.record(session, "login.throttled", actor_name=row.username or "?", username=row.username,
                 remote_addr=row.remote_addr, scope=row.scope, failures=row.failures,
                 retry_after=int(delay.total_seconds()), refused_in_previous_block=row.refused)
    row.blocked_until, row.refused = now + delay, 0


def _locked_row(session: Session, scope: Scope, username: str, remote_addr: str, now: datetime) -> LoginThrottle:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    create = insert(LoginThrottle).values(scope=scope.value, username=username, remote_addr=remote_addr,
                                          failures=0, refused=0, updated_at=now)
    query = (select(LoginThrottle).where(LoginThrottle.scope == scope.value, LoginThrottle.username == username,
                                         LoginThrottle.remote_addr == remote_addr)
             .with_for_update().execution_options(populate_existing=True))
    for _ in range(_LOCK_ATTEMPTS):
        session.execute(create.on_conflict_do_nothing(index_elements=["scope", "username", "remote_addr"]))
        row = session.scalar(query)
        if row is not None:
            return row
    raise RuntimeError("login throttle row vanished repeatedly")

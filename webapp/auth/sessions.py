"""Absolute and idle limits of a login session.

Flask re-signs a permanent session cookie on every request, so its own expiry slides; the login time and the
last request time are kept in the session and checked here instead.
"""
from __future__ import annotations

import time

from flask import current_app, flash, session

from . import bp

LOGGED_IN_AT = "_logged_in_at"
LAST_SEEN_AT = "_last_seen_at"


def start_session() -> None:
    """Stamp a fresh login (call right after ``login_user``)."""
    session[LOGGED_IN_AT] = session[LAST_SEEN_AT] = int(time.time())


def session_expired(now: float) -> bool:
    logged_in, seen = session.get(LOGGED_IN_AT), session.get(LAST_SEEN_AT)
    if not isinstance(logged_in, int) or not isinstance(seen, int):
        return True
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    return now - logged_in >= lifetime or now - seen >= idle


@bp.before_app_request
def enforce_session_limits() -> None:
    """Before anything loads the user: end a session past its absolute lifetime or idle timeout."""
    if "_user_id" not in session:
        return
    now = time.time()
    if session_expired(now):
        session.clear()
        flash("登录已超时，请重新登录", "info")
        return
    session[LAST_SEEN_AT] = int(now)

"""Logging in and out, and loading the logged-in user."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from engine.identity import accounts as identity
from engine.identity.models import User

from ..extensions import commit, db_session, login_manager

bp = Blueprint("auth", __name__)

from . import tokens  # noqa: E402,F401  (registers the token pages on bp)
from .sessions import start_session  # noqa: E402  (registers the session-limit hook on bp)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    return identity.user_for_session(db_session(), int(user_id), token)


def safe_next(target: str | None) -> str:
    """Only same-site paths; anything else (``//evil``, ``https://evil``, a CR/LF or other control character,
    raw or percent-encoded) goes to the inbox."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and "\\" not in target and not _has_control(unquote(target)):
        return target
    return url_for("tasks.inbox")


def _has_control(text: str) -> bool:
    return any(ord(char) < 0x20 or ord(char) == 0x7F for char in text)


@bp.route("/login", methods=("GET", "POST"))
def login() -> object:
    if current_user.is_authenticated:
        return redirect(url_for("tasks.inbox"))
    if request.method != "POST":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    result = identity.authenticate(db_session(), request.form.get("username", ""),
                                   request.form.get("password", ""), request.remote_addr or "?")
    commit()
    if result.user is None:
        flash(result.error or "登录失败", "error")
        page = render_template("auth/login.html", next=request.form.get("next", ""),
                               username=request.form.get("username", ""))
        if result.throttled:
            return page, 429, {"Retry-After": str(result.retry_after)}
        return page, 401
    session.clear()
    login_user(result.user)
    session.permanent = True
    start_session()
    return redirect(safe_next(request.form.get("next")))


@bp.route("/logout", methods=("POST",))
@login_required
def logout() -> object:
    identity.revoke_sessions(db_session(), current_user)  # type: ignore[arg-type]
    commit()
    logout_user()
    session.clear()
    flash("您已安全退出", "info")
    return redirect(url_for("auth.login"))

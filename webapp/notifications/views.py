"""Views of the notification centre, and the after-request hook that e-mails pending notifications."""
from __future__ import annotations

import logging
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from engine.cases import mailer as mailer
from engine.cases import notify as notify
from engine.errors import InvalidData

from ..extensions import commit, db_session
from ..tasks.current import me
from . import bp

LOG = logging.getLogger(__name__)


@bp.get("/notifications")
@login_required
def index() -> Any:
    session, user = db_session(), me()
    return render_template("notifications/index.html", items=notify.notifications(session, user, limit=100),
                           email=mailer.email_of(session, user.id),
                           smtp=bool(current_app.config.get("SMTP_HOST")))


@bp.post("/notifications/read")
@login_required
def mark_read() -> Any:
    notify.mark_all_read(db_session(), me())
    commit()
    flash("已全部标记为已读", "success")
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/email")
@login_required
def set_email() -> Any:
    try:
        mailer.set_email(db_session(), me(), request.form.get("email"))
    except InvalidData as error:
        db_session().rollback()
        flash(error.message, "error")
        return redirect(url_for("notifications.index"))
    commit()
    flash("已保存邮箱", "success")
    return redirect(url_for("notifications.index"))


@bp.app_template_global()
def unread_notifications() -> int | None:
    if not getattr(current_user, "is_authenticated", False):
        return None
    try:
        return notify.unread_count(db_session(), me())
    except SQLAlchemyError:
        db_session().rollback()
        return None


def smtp_config() -> mailer.SmtpConfig | None:
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        return None
    return mailer.SmtpConfig(cfg["SMTP_HOST"], int(cfg.get("SMTP_PORT") or 25), cfg.get("SMTP_USER"),
                             cfg.get("SMTP_PASSWORD"), cfg.get("SMTP_FROM") or "baguan@localhost",
                             bool(cfg.get("SMTP_STARTTLS")))


@bp.after_app_request
def deliver_mail(response: Response) -> Response:
    """After a request committed its work, e-mail what it notified (only when SMTP is configured)."""
    config = smtp_config()
    if config is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return response
    try:
        if mailer.deliver_pending(db_session(), config):
            commit()
        else:
            db_session().rollback()
    except SQLAlchemyError:
        db_session().rollback()
        LOG.exception("notification e-mail delivery failed")
    return response

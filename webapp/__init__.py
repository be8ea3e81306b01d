"""The Flask application factory."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import holiday_calendar as holiday_calendar
from engine.bootstrap import start as start_engine
from engine.library import holidays as holidays

from .config import load_config
from .errors import register_error_handlers
from .extensions import begin_request_transaction, csrf, db_session, init_database, login_manager
from .input_guard import init_input_guards, install_converters


def create_app(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    start_engine()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(load_config(environ, overrides))
    _trust_proxies(app)
    init_database(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "basic"
    install_converters(app)
    _register_blueprints(app)
    init_input_guards(app)
    register_error_handlers(app)
    app.before_request(_refresh_holidays)
    app.after_request(_security_headers)
    from .templating import init_templating
    init_templating(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies, take the client address, scheme and host from the last N forwarded hops."""
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]


def _register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .audit import bp as audit_bp
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .health import bp as health_bp
    from .notifications import bp as notifications_bp
    from .tasks import bp as tasks_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(tasks_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    csrf.exempt(api_bp)
    csrf.exempt(health_bp)


def _refresh_holidays() -> None:
    """Reload the holiday table at most once a minute, so an import on another host or the CLI shows here too."""
    if request.blueprint == "health" or request.endpoint == "static" or not holiday_calendar.is_stale():
        return
    session = db_session()
    try:
        holidays.refresh(session)
    except SQLAlchemyError:
        session.rollback()
        holiday_calendar.install(holiday_calendar.HolidayCalendar(holiday_calendar.current().days, holiday_calendar.now()))
    else:
        session.rollback()
        begin_request_transaction(session)


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                                "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response

"""Probes for a load balancer: ``/healthz`` (the process answers) and ``/readyz`` (it can do real work).

Both answer without a login and without touching the session cookie.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from engine.db import utcnow
from engine.runtime import health as health

from .extensions import database

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz() -> Any:
    problems = readiness_problems()
    if problems:
        return jsonify(status="not_ready", problems=problems), 503
    return jsonify(status="ready")


def readiness_problems() -> list[str]:
    """Database reachable, migrations current, and (when the table exists) a recent worker heartbeat."""
    try:
        with database().engine.connect() as connection:
            problem = health.schema_problem(connection) or health.heartbeat_problem(
                connection, current_app.config["HEARTBEAT_MAX_AGE"], utcnow())
    except SQLAlchemyError as exc:
        problem = f"数据库无法连接：{health.first_line(exc)}"
    return [problem] if problem else []

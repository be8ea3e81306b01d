"""The admin studio: process catalogue, BPMN editor, versions and migrations, organisations and users.

Only holders of the ``admin`` role reach it; everyone else gets the same 404 as for a page that does not exist.
"""
from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user

from engine.errors import NotFound

bp = Blueprint("admin", __name__)

EDITOR_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
              "font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def is_admin(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and any(
        m.role == "admin" for m in getattr(user, "memberships", []))


@bp.before_request
def _admins_only() -> None:
    if not is_admin(current_user):
        raise NotFound("页面不存在或您无权访问")


@bp.after_request
def _editor_styles(response: Response) -> Response:
    """bpmn-js sets style attributes on the diagram: allow inline styles on the editor pages only."""
    if request.endpoint in ("admin.editor",):
        response.headers["Content-Security-Policy"] = EDITOR_CSP
    return response


from . import holidays_views, people, studio_views, timers, views  # noqa: E402,F401  (registers the routes on bp)

"""Bearer-token authentication for every API route except the OpenAPI document."""
from __future__ import annotations

from flask import Response, g, request

from engine.errors import AuthenticationFailed
from engine.identity import accounts as identity
from engine.identity.models import User

from ..extensions import db_session
from . import bp

PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})
MAX_TOKEN_LENGTH = 200


@bp.before_request
def authenticate() -> None:
    """Resolve the token to a user; cookies are ignored, so a browser session never authorises the API."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    token = bearer_token(request.headers.get("Authorization", ""))
    user = identity.user_for_token(db_session(), token) if token else None
    if user is None:
        raise AuthenticationFailed("缺少或无效的访问令牌（Authorization: Bearer <令牌>）")
    g.api_user = user


def bearer_token(header: str) -> str | None:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token


def api_user() -> User:
    user: User = g.api_user
    return user


@bp.after_request
def api_headers(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="baguan"'
    return response

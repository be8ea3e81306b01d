"""The one place where domain errors become HTTP responses: a Chinese page or a JSON error body."""
from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from engine import journal as audit
from engine.errors import (
    AccessDenied,
    AuthenticationFailed,
    BadRequest,
    BaguanError,
    Conflict,
    DeployRejected,
    InvalidData,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
)

from .extensions import commit, db_session, discard
from .input_guard import IdOutOfRange

log = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[BaguanError], int] = {
    BadRequest: 400, AuthenticationFailed: 401, PermissionDenied: 403, NotFound: 404,
    Conflict: 409, InvalidData: 422, DeployRejected: 422, TooManyAttempts: 429,
}
HTTP_MESSAGES = {
    400: "请求格式不正确", 401: "请先登录", 403: "您没有权限执行此操作", 404: "页面不存在或您无权访问",
    405: "不支持此请求方法", 409: "数据已被他人修改，请刷新后重试", 413: "上传内容过大", 422: "提交的数据有误",
    429: "请求过于频繁，请稍后再试", 500: "系统内部错误，请稍后重试或联系管理员",
    503: "数据库连接暂时中断，本次操作未保存，请稍后重试",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None,
                   problems: list[str] | None = None) -> tuple[Response | str, int]:
    if wants_json():
        body: dict[str, object] = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        if problems:
            body["problems"] = problems
        return jsonify({"error": body}), status
    return render_template("error.html", status=status, message=message, fields=fields or {},
                           problems=problems or []), status


def status_for(error: BaguanError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]  # type: ignore[index]
    return 500


def handle_domain_error(error: BaguanError) -> tuple[Response | str, int]:
    discard(db_session())
    if isinstance(error, AccessDenied):
        _record_denial(error)
    status = status_for(error)
    if status == 500:
        log.error("engine error: %s", error.message)
    return error_response(status, error.code, error.message, error.fields, getattr(error, "problems", None))


def _record_denial(error: AccessDenied) -> None:
    session = db_session()
    actor = g.get("api_user") or (current_user if getattr(current_user, "is_authenticated", False) else None)
    # ``target`` nests the asked-for ids: spread as keywords, ``case_id="5"`` would fill the event's case_id
    # column with a string (breaking its hash on re-read) and file the denial in that case's history.
    audit.record(session, "access.denied", actor=actor, path=request.path, method=request.method,
                 reason=error.message, target=dict(error.detail))
    commit()


def handle_http_error(error: HTTPException) -> tuple[Response | str, int]:
    status = error.code or 500
    if isinstance(error, CSRFError):
        return error_response(400, "csrf", "页面已过期或表单校验失败，请刷新页面后重试")
    if isinstance(error, IdOutOfRange):
        return error_response(404, NotFound.code, error.description or HTTP_MESSAGES[404])
    return error_response(status, f"http_{status}", HTTP_MESSAGES.get(status, error.description or ""))


def handle_unexpected(error: Exception) -> tuple[Response | str, int]:
    log.exception("unhandled error", exc_info=error)
    discard(db_session())
    return error_response(500, "internal", HTTP_MESSAGES[500])


def handle_database_unavailable(error: OperationalError | InterfaceError) -> tuple[Response | str, int]:
    """The database dropped the connection mid-request (restart, failover, an admin's pg_terminate_backend):
    the transaction is rolled back, nothing is saved, and the client may simply retry."""
    log.warning("database unavailable: %s", (str(error.orig or error).strip().splitlines() or [type(error).__name__])[0][:200])
    discard(db_session())
    return error_response(503, "database_unavailable", HTTP_MESSAGES[503])


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(BaguanError, handle_domain_error)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(InterfaceError, handle_database_unavailable)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)

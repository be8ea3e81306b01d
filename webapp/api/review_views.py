"""API routes of the reviewer workspace: inbox counts, copies, 撤回, 撤销, 抄送, 已阅, 催办."""
from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from flask import Response, jsonify

from engine.cases import attachments as attachments
from engine.cases import notify as notify
from engine.cases import queries as queries
from engine.errors import InvalidData
from engine.input_limits import DATE_RANGE_HINT, in_date_range
from engine.review import batch as batch
from engine.review import case_ops as review_ops
from engine.review import phrases as phrases
from engine.review import proxies as proxies
from engine.review import task_ops as task_ops

from ..extensions import db_session
from ..tasks.files import upload_dir
from . import bp, render
from .auth import api_user
from .openapi import SCHEMAS
from .parsing import json_object, object_id, paging
from .views import committed, committed_case, task_json


@bp.get("/inbox/counts")
def inbox_counts() -> Response:
    counts = queries.tab_counts(db_session(), api_user())
    return jsonify({"todo": counts.todo, "done": counts.done, "started": counts.started,
                    "copied_unread": counts.copied_unread})


@bp.get("/copies")
def list_copies() -> Response:
    page = paging()
    result = queries.copied_cases(db_session(), api_user(), limit=page.limit, offset=page.offset)
    return jsonify({"items": [render.case_copy(c) for c in result.items], "total": result.total,
                    "limit": result.limit, "offset": result.offset})


@bp.post("/cases/<int:case_id>/recall")
def recall_case(case_id: int) -> Response:
    body = json_object(SCHEMAS["ReasonRequest"])
    case = review_ops.recall_case(db_session(), api_user(), object_id(case_id, "事项"), body.get("reason"))
    return committed_case(case)


@bp.post("/cases/<int:case_id>/withdraw")
def withdraw_case(case_id: int) -> Response:
    body = json_object(SCHEMAS["WithdrawRequest"])
    case = review_ops.withdraw_case(db_session(), api_user(), object_id(case_id, "事项"), body["reason"])
    return committed_case(case)


@bp.post("/cases/<int:case_id>/copies")
def copy_case(case_id: int) -> Response:
    body = json_object(SCHEMAS["CopyRequest"])
    session, user = db_session(), api_user()
    review_ops.copy_case(session, user, object_id(case_id, "事项"), body["users"], body.get("note"))
    return committed_case(queries.get_case(session, user, case_id))


@bp.post("/cases/<int:case_id>/read")
def mark_read(case_id: int) -> Response:
    json_object(SCHEMAS["EmptyRequest"])
    session, user = db_session(), api_user()
    review_ops.mark_copy_read(session, user, object_id(case_id, "事项"))
    return committed_case(queries.get_case(session, user, case_id))


@bp.post("/cases/<int:case_id>/urge")
def urge_case(case_id: int) -> Response:
    body = json_object(SCHEMAS["UrgeRequest"])
    handlers = review_ops.urge_case(db_session(), api_user(), object_id(case_id, "事项"), body.get("message"))
    return committed({"handlers": [render.user_ref(h) for h in handlers]})


def _task_result(task_id: int) -> Response:
    session, user = db_session(), api_user()
    return committed(task_json(queries.get_task(session, user, task_id), user))


@bp.post("/tasks/<int:task_id>/transfer")
def transfer_task(task_id: int) -> Response:
    body = json_object(SCHEMAS["HandoverRequest"])
    task_ops.transfer_task(db_session(), api_user(), object_id(task_id, "任务"), body["user"], body.get("note"))
    return _task_result(task_id)


@bp.post("/tasks/<int:task_id>/delegate")
def delegate_task(task_id: int) -> Response:
    body = json_object(SCHEMAS["HandoverRequest"])
    task_ops.delegate_task(db_session(), api_user(), object_id(task_id, "任务"), body["user"], body.get("note"))
    return _task_result(task_id)


@bp.post("/tasks/<int:task_id>/reply")
def reply_delegation(task_id: int) -> Response:
    body = json_object(SCHEMAS["ReplyRequest"])
    task_ops.resolve_delegation(db_session(), api_user(), object_id(task_id, "任务"), body["opinion"])
    return _task_result(task_id)


@bp.post("/tasks/<int:task_id>/signers")
def add_signer(task_id: int) -> Response:
    body = json_object(SCHEMAS["SignerRequest"])
    task_ops.add_signer(db_session(), api_user(), object_id(task_id, "任务"), body["user"], body["position"],
                        body.get("note"))
    return _task_result(task_id)


@bp.post("/signers/<int:signer_id>/remove")
def remove_signer(signer_id: int) -> Response:
    json_object(SCHEMAS["EmptyRequest"])
    signer = task_ops.remove_signer(db_session(), api_user(), object_id(signer_id, "加签记录"))
    return _task_result(signer.task_id)


@bp.post("/tasks/batch-approve")
def batch_approve() -> Response:
    body = json_object(SCHEMAS["BatchRequest"])
    results = batch.batch_approve(db_session(), api_user(), body["task_ids"], body.get("comment"),
                                  checks_confirmed=body.get("checks_confirmed", False))
    return committed({"results": [{"task_id": r.task_id, "ok": r.ok, "message": r.message, "case_number": r.case_number,
                                   "missing_fields": list(r.missing)} for r in results],
                      "approved": sum(r.ok for r in results), "failed": sum(not r.ok for r in results)})


@bp.get("/phrases")
def list_phrases() -> Response:
    return jsonify([{"id": p.id, "text": p.text, "own": p.own} for p in phrases.phrases_for(db_session(), api_user())])


@bp.post("/phrases")
def add_phrase() -> tuple[Response, int]:
    body = json_object(SCHEMAS["PhraseRequest"])
    phrase = phrases.add_phrase(db_session(), api_user(), body["text"])
    return committed({"id": phrase.id, "text": phrase.text, "own": True}), 201


@bp.post("/phrases/<int:phrase_id>/delete")
def delete_phrase(phrase_id: int) -> Response:
    json_object(SCHEMAS["EmptyRequest"])
    phrases.delete_phrase(db_session(), api_user(), object_id(phrase_id, "常用语"))
    return committed({"deleted": phrase_id})


def _proxy_json(rule: Any) -> dict[str, Any]:
    return {"id": rule.id, "proxy": render.user_ref(rule.proxy), "starts_on": rule.starts_on.isoformat(),
            "ends_on": rule.ends_on.isoformat(), "cancelled": rule.cancelled_at is not None,
            "limits": proxies.proxy_limits(rule.principal, rule.proxy)}


@bp.get("/proxies")
def list_proxies() -> Response:
    return jsonify([_proxy_json(r) for r in proxies.my_rules(db_session(), api_user())])


@bp.post("/proxies")
def set_proxy() -> tuple[Response, int]:
    body = json_object(SCHEMAS["ProxyRequest"])
    rule = proxies.set_proxy(db_session(), api_user(), body["proxy"], _iso_date(body, "starts_on"),
                             _iso_date(body, "ends_on"))
    return committed(_proxy_json(rule)), 201


@bp.post("/proxies/<int:rule_id>/cancel")
def cancel_proxy(rule_id: int) -> Response:
    json_object(SCHEMAS["EmptyRequest"])
    rule = proxies.cancel_proxy(db_session(), api_user(), object_id(rule_id, "代理设置"))
    return committed(_proxy_json(rule))


def _iso_date(body: dict[str, Any], name: str) -> Any:
    try:
        day = date.fromisoformat(body[name])
    except ValueError:
        raise InvalidData("日期格式不正确", {name: "日期应为 YYYY-MM-DD"}) from None
    if not in_date_range(day):
        raise InvalidData("日期超出范围", {name: DATE_RANGE_HINT})
    return day


@bp.get("/notifications")
def list_notifications() -> Response:
    page = paging()
    session, user = db_session(), api_user()
    items = notify.notifications(session, user, limit=page.limit, offset=page.offset)
    return jsonify({"items": [render.notification(n) for n in items], "unread": notify.unread_count(session, user)})


@bp.post("/notifications/read")
def read_notifications() -> Response:
    json_object(SCHEMAS["EmptyRequest"])
    count = notify.mark_all_read(db_session(), api_user())
    return committed({"marked": count})


def _attachment_json(row: Any, content: bytes | None = None) -> dict[str, Any]:
    result = {"id": row.id, "case_id": row.case_id, "task_id": row.task_id, "filename": row.filename,
              "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
              "uploaded_by": render.user_ref(row.uploader), "uploaded_at": render.iso(row.uploaded_at)}
    if content is not None:
        result["content_base64"] = base64.b64encode(content).decode("ascii")
    return result


@bp.get("/cases/<int:case_id>/attachments")
def list_attachments(case_id: int) -> Response:
    session = db_session()
    case = queries.get_case(session, api_user(), object_id(case_id, "事项"))
    return jsonify([_attachment_json(a) for a in attachments.case_attachments(session, case)])


@bp.post("/cases/<int:case_id>/attachments")
def add_attachment(case_id: int) -> tuple[Response, int]:
    body = json_object(SCHEMAS["AttachmentRequest"])
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidData("附件内容无效", {"content_base64": "应为 Base64 编码的文件内容"}) from None
    task_id = body.get("task_id")
    row = attachments.add_attachment(db_session(), api_user(), object_id(case_id, "事项"), body["filename"], content,
                                     upload_dir(), object_id(task_id, "任务") if task_id else None)
    return committed(_attachment_json(row)), 201


@bp.get("/attachments/<int:attachment_id>")
def get_attachment(attachment_id: int) -> Response:
    row, content = attachments.read_attachment(db_session(), api_user(), object_id(attachment_id, "附件"),
                                               upload_dir())
    return jsonify(_attachment_json(row, content))


@bp.post("/tasks/<int:task_id>/draft")
def save_draft(task_id: int) -> Response:
    body = json_object(SCHEMAS["DraftRequest"])
    draft = attachments.save_draft(db_session(), api_user(), object_id(task_id, "任务"), body["data"],
                                   body.get("comment"))
    return committed({"task_id": draft.task_id, "data": draft.data, "comment": draft.comment,
                      "saved_at": render.iso(draft.saved_at)})

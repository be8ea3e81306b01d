"""Views of the auditor workspace. Nothing here changes or removes an audit event: the only writes append one
(a checkpoint taken, an export made)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
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

from engine.audit import checkpoints as checkpoints
from engine.audit import dossier as dossier
from engine.audit import search as audit_search
from engine.audit.models import AuditCheckpoint
from engine.audit.search import AuditScope
from engine.cases import queries as queries
from engine.errors import InvalidData, NotFound
from engine.identity.models import User

from ..extensions import commit, db_session, writes_on_read
from . import bp
from .context import action_label, path_marks, rule_versions, trail

PAGE_SIZE = 50
VIEWER_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
              "font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True)
class Pager:
    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def scope() -> AuditScope:
    return audit_search.require_scope(db_session(), me())


def signing_key() -> bytes:
    return checkpoints.signing_key(current_app.config.get("SECRET_KEY"), current_app.config.get("AUDIT_KEY"))


@bp.route("/")
@login_required
def index() -> Any:
    mine = scope()
    session = db_session()
    return render_template("audit/index.html", status=checkpoints.chain_status(session), scope=mine,
                           latest=checkpoints.latest_checkpoint(session))


@bp.route("/checkpoints", methods=("POST",))
@login_required
def create_checkpoint() -> Any:
    if not scope().system:
        raise NotFound("页面不存在或您无权访问")
    created = checkpoints.create_checkpoint(db_session(), me())
    checkpoint_id = created.id
    commit()
    flash(f"已创建检查点 #{checkpoint_id}，请下载并保存在数据库之外", "success")
    return redirect(url_for("audit.index"))


@bp.route("/checkpoints/<int:checkpoint_id>.json")
@login_required
def checkpoint_file(checkpoint_id: int) -> Any:
    scope()
    found = db_session().get(AuditCheckpoint, checkpoint_id)
    if found is None:
        raise NotFound("检查点不存在")
    body = json.dumps(checkpoints.checkpoint_document(found, signing_key()), ensure_ascii=False, indent=2)
    return download(body.encode("utf-8"), "application/json", f"baguan-checkpoint-{checkpoint_id}.json")


@bp.route("/search")
@login_required
def search() -> Any:
    mine, session = scope(), db_session()
    choices = audit_search.filter_choices(session, mine)
    try:
        filters = audit_search.parse_filters(request.args)
    except InvalidData as error:
        return render_template("audit/search.html", choices=choices, args=request.args, errors=error.fields,
                               results=None, pager=None, query={}), 422
    pager = Pager(_page_number(), 0, PAGE_SIZE)
    results = audit_search.search(session, mine, filters, PAGE_SIZE, pager.offset)
    return render_template("audit/search.html", choices=choices, args=request.args, errors={}, results=results,
                           pager=Pager(pager.number, results.total, PAGE_SIZE), query=filters.as_dict())


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


@bp.route("/search/export.<fmt>")
@login_required
@writes_on_read
def export(fmt: str) -> Any:
    if fmt not in ("csv", "json"):
        raise NotFound("导出格式只支持 csv 或 json")
    mine, session = scope(), db_session()
    filters = audit_search.parse_filters(request.args)
    records = audit_search.export_rows(session, mine, filters)
    audit_search.log_export(session, me(), filters, fmt, len(records))
    commit()
    if fmt == "csv":
        return download(audit_search.to_csv(records), "text/csv; charset=utf-8", "baguan-audit.csv")
    return download(audit_search.to_json(records, filters), "application/json", "baguan-audit.json")


@bp.route("/cases/<int:case_id>")
@login_required
def case(case_id: int) -> Any:
    session = db_session()
    found = audit_search.audited_case(session, me(), case_id)
    tasks, events = queries.case_tasks(session, found), queries.case_history(session, found)
    response = Response(render_template(
        "audit/case.html", case=found, entries=trail(found, events), marks=path_marks(found, tasks, events),
        open_tasks=[t for t in tasks if t.status == "open"], rules=rule_versions(found)))
    response.headers["Content-Security-Policy"] = VIEWER_CSP
    return response


@bp.route("/cases/<int:case_id>/diagram.bpmn")
@login_required
def diagram(case_id: int) -> Any:
    found = audit_search.audited_case(db_session(), me(), case_id)
    response = download(found.definition.bpmn_xml.encode("utf-8"), "application/xml", f"{found.number}.bpmn")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/cases/<int:case_id>/dossier.zip")
@login_required
@writes_on_read
def case_dossier(case_id: int) -> Any:
    session = db_session()
    found = audit_search.audited_case(session, me(), case_id)
    archive = dossier.build(session, found, me(), signing_key(), Path(current_app.config["UPLOAD_DIR"]))
    number = found.number
    commit()
    return download(archive, "application/zip", f"{number}-dossier.zip")


def download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def audit_globals() -> dict[str, Any]:
    """``is_auditor`` for the main navigation, on every page."""
    return {"is_auditor": audit_search.is_auditor, "action_label": action_label}

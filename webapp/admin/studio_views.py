"""The studio's editors: the BPMN modeler page and its JSON endpoints, the form editor with a live preview,
and the decision-table editor. Every save is a deploy through the hardened pipeline."""
from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, render_template, request, url_for

import forms as form_lib
from engine.errors import BadRequest, DeployRejected, InvalidData
from engine.roles import ROLES
from engine.runtime.deploy import latest_definition, latest_definitions
from engine.studio import dmn as studio_dmn
from engine.studio import versions as studio

from .. import formrender
from ..extensions import commit, db_session
from . import bp
from .views import me


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("请求内容必须是 JSON 对象")
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"{name} 必须是文本")
    return value


def _refused(error: DeployRejected | InvalidData) -> tuple[Response, int]:
    """A refusal as JSON with (element, message) problems, whatever the client's Accept header says."""
    details = getattr(error, "details", None) or [{"element": None, "message": v} for v in error.fields.values()]
    return jsonify({"error": {"code": error.code, "message": error.message, "problems": details,
                              "fields": error.fields}}), 422


@bp.route("/processes/<key>/edit")
def editor(key: str) -> Any:
    session = db_session()
    rows = studio.versions(session, key)
    version = request.args.get("version", "")
    chosen = next((r for r in rows if str(r.version) == version), rows[0])
    return render_template("admin/editor.html", key=key, definition=chosen, latest=rows[0],
                           forms=sorted(studio.deployed_forms(session)),
                           role_labels=[[r.code, r.label] for r in ROLES.values() if r.code not in ("admin", "auditor")])


@bp.route("/processes/<key>/versions/<int:version>/bpmn")
def source(key: str, version: int) -> Any:
    """The stored diagram, served as a download so a browser never renders it as a page."""
    definition = studio.get_version(db_session(), key, version)
    response = Response(definition.bpmn_xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{version}.bpmn"'
    return response


@bp.route("/processes/<key>/validate", methods=("POST",))
def validate(key: str) -> Any:
    xml = _text(_json_body(), "xml").encode("utf-8")
    problems = studio.validate_diagram(db_session(), xml, f"{key}.bpmn")
    return jsonify({"ok": not problems, "problems": problems})


@bp.route("/processes/<key>/deploy", methods=("POST",))
def deploy(key: str) -> Any:
    body = _json_body()
    try:
        result = studio.deploy_diagram(db_session(), me(), _text(body, "xml").encode("utf-8"), f"{key}.bpmn",
                                       _text(body, "comment"))
    except (DeployRejected, InvalidData) as error:
        db_session().rollback()
        return _refused(error)
    commit()
    message = f"已部署第 {result.version} 版" if result.created else f"内容未变化，仍为第 {result.version} 版"
    return jsonify({"ok": True, "key": result.key, "version": result.version, "created": result.created,
                    "message": message, "versions_url": url_for("admin.versions", key=result.key)})


@bp.route("/forms")
def forms_index() -> Any:
    return render_template("admin/forms.html", forms=_forms_by_process())


def _forms_by_process() -> list[tuple[str, str, str]]:
    """(form key, process key, process name) for every form of every latest version."""
    return sorted((form, d.key, d.name) for d in latest_definitions(db_session()) for form in d.forms or {})


@bp.route("/processes/<key>/forms/<form_key>")
def form_editor(key: str, form_key: str) -> Any:
    definition = latest_definition(db_session(), key)
    assert definition is not None
    if form_key not in (definition.forms or {}):
        raise BadRequest(f"流程 {key} 没有表单 {form_key}")
    text = json.dumps(definition.forms[form_key], ensure_ascii=False, indent=2)
    return render_template("admin/form_editor.html", key=key, form_key=form_key, definition=definition, text=text,
                           preview=formrender.render_form(definition.forms[form_key], {}, {}))


def _schema_from(body: dict[str, Any], form_key: str) -> dict[str, Any]:
    try:
        schema = json.loads(_text(body, "schema"))
        form_lib.check_form_schema(form_key, schema)
    except json.JSONDecodeError as exc:
        raise InvalidData("表单不是有效的 JSON", {"schema": f"第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}"}) from None
    except form_lib.FormError as exc:
        raise InvalidData("表单定义有误", {"schema": str(exc)}) from None
    return schema


@bp.route("/forms/<form_key>/preview", methods=("POST",))
def form_preview(form_key: str) -> Any:
    try:
        schema = _schema_from(_json_body(), form_key)
    except InvalidData as error:
        return _refused(error)
    return jsonify({"html": str(formrender.render_form(schema, {}, {}))})


@bp.route("/processes/<key>/forms/<form_key>", methods=("POST",))
def form_save(key: str, form_key: str) -> Any:
    body = _json_body()
    definition = latest_definition(db_session(), key)
    assert definition is not None
    try:
        schema = _schema_from(body, form_key)
        result = studio.deploy_diagram(db_session(), me(), definition_xml(key), f"{key}.bpmn",
                                       _text(body, "comment"), forms={form_key: schema})
    except (DeployRejected, InvalidData) as error:
        db_session().rollback()
        return _refused(error)
    commit()
    return jsonify({"ok": True, "version": result.version, "created": result.created,
                    "message": f"已部署第 {result.version} 版" if result.created else "内容未变化，未生成新版本"})


def definition_xml(key: str) -> bytes:
    definition = latest_definition(db_session(), key)
    assert definition is not None
    return studio.get_version(db_session(), key, definition.version).bpmn_xml.encode("utf-8")


@bp.route("/tables")
def dmn_index() -> Any:
    return render_template("admin/dmn_index.html", rows=studio_dmn.latest_stored(db_session()))


@bp.route("/tables/<table_id>")
def dmn_editor(table_id: str) -> Any:
    row = studio_dmn.stored_table(db_session(), table_id)
    tables = [t for t in studio_dmn.read_tables(row.dmn_xml) if t.id == table_id]
    return render_template("admin/dmn_editor.html", row=row, table=tables[0])


@bp.route("/tables/<table_id>", methods=("POST",))
def dmn_save(table_id: str) -> Any:
    """Rows edited in the browser become a new table version and a new version of every process using it."""
    body = _json_body()
    session = db_session()
    row = studio_dmn.stored_table(session, table_id)
    try:
        edited = studio_dmn.replace_rules(row.dmn_xml, table_id, studio_dmn.rules_from_json(body.get("rules")))
        results = studio.deploy_tables(session, me(), row.source_name, edited, _text(body, "comment"))
    except (DeployRejected, InvalidData) as error:
        session.rollback()
        return _refused(error)
    commit()
    changed = [f"{r.name} 第 {r.version} 版" for r in results if r.created]
    return jsonify({"ok": True, "message": "已部署：" + "、".join(changed) if changed else "内容未变化，未生成新版本"})

"""Studio pages: the process catalogue, uploads, versions with their differences, rollback and migration."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.errors import BadRequest, Conflict, DeployRejected, InvalidData
from engine.identity import accounts
from engine.identity.models import User
from engine.library import catalogue as catalogue
from engine.studio import migrate as studio_migrate
from engine.studio import versions as studio
from engine.studio.diff import diff_versions

from ..extensions import commit, db_session
from . import bp


def me() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@bp.route("/")
def index() -> Any:
    session = db_session()
    return render_template("admin/index.html", entries=catalogue.entries(session), societies=accounts.societies(session))


@bp.route("/processes/<key>/catalogue", methods=("POST",))
def update_catalogue(key: str) -> Any:
    codes = request.form.getlist("starters")
    limited = request.form.get("scope") == "some"
    catalogue.update(db_session(), me(), key, request.form.get("enabled") == "1", codes if limited else None)
    commit()
    flash("流程目录设置已保存", "success")
    return redirect(url_for("admin.index"))


@bp.route("/upload", methods=("POST",))
def upload() -> Any:
    """A .bpmn file from the admin's computer: the same hardened pipeline as every other deploy."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise BadRequest("请选择要上传的 .bpmn 文件")
    try:
        result = studio.deploy_diagram(db_session(), me(), file.read(), file.filename, request.form.get("comment", ""))
    except (DeployRejected, InvalidData) as error:
        db_session().rollback()
        return render_template("admin/upload_refused.html", error=error), 422
    commit()
    flash(f"已部署 {result.name} 第 {result.version} 版" if result.created else "内容未变化，未生成新版本", "success")
    return redirect(url_for("admin.versions", key=result.key))


@bp.route("/processes/<key>/versions")
def versions(key: str) -> Any:
    session = db_session()
    rows = studio.versions(session, key)
    deployers = accounts.users_by_id(session, (r.deployed_by for r in rows))
    return render_template("admin/versions.html", key=key, rows=rows, deployers=deployers)


@bp.route("/processes/<key>/diff")
def diff(key: str) -> Any:
    session = db_session()
    old, new = _version_arg("a"), _version_arg("b")
    result = diff_versions(studio.get_version(session, key, old), studio.get_version(session, key, new))
    return render_template("admin/diff.html", key=key, diff=result)


def _version_arg(name: str) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit():
        raise BadRequest("请选择要比较的两个版本")
    return int(raw)


@bp.route("/processes/<key>/rollback", methods=("POST",))
def rollback(key: str) -> Any:
    version = request.form.get("version", "")
    if not version.isdigit():
        raise BadRequest("版本号无效")
    copy = studio.rollback(db_session(), me(), key, int(version), request.form.get("comment", ""))
    number = copy.version
    commit()
    flash(f"已将第 {version} 版重新部署为第 {number} 版", "success")
    return redirect(url_for("admin.versions", key=key))


@bp.route("/processes/<key>/migrate/<int:version>")
def migrate_preview(key: str, version: int) -> Any:
    checks = studio_migrate.preview(db_session(), key, version)
    return render_template("admin/migrate.html", key=key, version=version, checks=checks)


@bp.route("/processes/<key>/migrate/<int:version>", methods=("POST",))
def migrate(key: str, version: int) -> Any:
    session = db_session()
    chosen = [int(i) for i in request.form.getlist("case_id") if i.isdigit()]
    if not chosen:
        raise BadRequest("请至少选择一个事项")
    try:
        numbers = [studio_migrate.migrate_case(session, me(), case_id, version, key).number for case_id in chosen]
    except Conflict as error:
        session.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.migrate_preview", key=key, version=version))
    commit()
    flash(f"已迁移到第 {version} 版：{'、'.join(numbers)}", "success")
    return redirect(url_for("admin.migrate_preview", key=key, version=version))

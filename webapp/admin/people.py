"""Organisations, users and role memberships, managed by admins (every change is audited by the engine)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.errors import BadRequest, InvalidData
from engine.identity import accounts as identity
from engine.identity.models import User
from engine.roles import ROLES
from engine.studio import people as studio_people

from ..extensions import commit, db_session
from . import bp
from .views import me

MAX_CSV_BYTES = 512 * 1024


@bp.route("/people")
def people() -> Any:
    session = db_session()
    return render_template("admin/people.html", orgs=studio_people.organisations(session),
                           users=studio_people.users(session), all_roles=list(ROLES.values()))


def _done(message: str) -> Any:
    commit()
    flash(message, "success")
    return redirect(url_for("admin.people"))


@bp.route("/orgs", methods=("POST",))
def add_org() -> Any:
    form = request.form
    org = identity.add_org(db_session(), form.get("code", ""), form.get("name", ""), form.get("kind", "society"),
                           form.get("parent") or None, actor=me())
    return _done(f"已添加组织 {org.name}")


@bp.route("/users", methods=("POST",))
def add_user() -> Any:
    form = request.form
    user = identity.add_user(db_session(), form.get("username", ""), form.get("name", ""), form.get("password", ""),
                             actor=me())
    return _done(f"已添加用户 {user.username}")


@bp.route("/users/<int:user_id>/roles", methods=("POST",))
def grant(user_id: int) -> Any:
    user = _user(user_id)
    identity.grant_role(db_session(), user.username, request.form.get("role", ""), request.form.get("org", ""), actor=me())
    return _done(f"已授予 {user.name} 角色")


@bp.route("/memberships/<int:membership_id>/revoke", methods=("POST",))
def revoke(membership_id: int) -> Any:
    studio_people.revoke_role(db_session(), me(), membership_id)
    return _done("已撤销角色")


@bp.route("/users/<int:user_id>/active", methods=("POST",))
def set_active(user_id: int) -> Any:
    user = studio_people.set_active(db_session(), me(), user_id, request.form.get("active") == "1")
    return _done(f"已{'启用' if user.active else '停用'}用户 {user.username}")


def _user(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        raise BadRequest("用户不存在")
    return user


@bp.route("/people/import", methods=("POST",))
def import_csv() -> Any:
    file = request.files.get("file")
    if file is None or not file.filename:
        raise BadRequest("请选择要导入的 CSV 文件")
    raw = file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise BadRequest("CSV 文件过大（上限 512 KB）")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("CSV 文件必须使用 UTF-8 编码") from None
    try:
        result = studio_people.import_csv(db_session(), me(), text)
    except InvalidData as error:
        db_session().rollback()
        return render_template("admin/import_refused.html", error=error), 422
    commit()
    return render_template("admin/import_done.html", result=result)

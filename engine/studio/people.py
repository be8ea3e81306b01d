"""Organisations, users and role memberships as the admin studio manages them, with CSV import.

Every change goes through ``engine.identity`` or appends its own audit event here; a CSV import is
checked line by line first and imports nothing when any line is wrong.
"""
from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.errors import InvalidData, NotFound
from engine.identity import accounts as identity
from engine.identity.models import Membership, Organisation, User
from engine.roles import ROLES, RoleScope, resolve_role

HEADERS = {"username": "username", "用户名": "username", "name": "name", "姓名": "name",
           "org": "org", "组织代码": "org", "role": "role", "角色": "role"}
MAX_LINES = 2000


@dataclass(frozen=True)
class ImportLine:
    number: int
    username: str
    name: str
    org: str
    role: str


@dataclass(frozen=True)
class ImportResult:
    created: dict[str, str]
    granted: int


def organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.kind.desc(), Organisation.code)))


def users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def revoke_role(session: Session, actor: User, membership_id: int) -> None:
    membership = session.get(Membership, membership_id)
    if membership is None:
        raise NotFound("角色授权不存在")
    user, org_id, role = membership.user, membership.org_id, membership.role
    if user.id == actor.id and role == "admin":
        raise InvalidData("不能撤销自己的管理员角色", {"role": "请由另一位管理员操作，以免无人能管理系统"})
    session.delete(membership)
    identity.revoke_sessions(session, user)
    session.refresh(user, ["memberships"])
    audit.record(session, "role.revoked", actor=actor, org_id=org_id, username=user.username, role=role)


def set_active(session: Session, actor: User, user_id: int, active: bool) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if user.id == actor.id and not active:
        raise InvalidData("不能停用自己的账号", {"active": "不能停用当前登录的管理员账号"})
    user.active = active
    identity.revoke_sessions(session, user)
    audit.record(session, "user.activated" if active else "user.deactivated", actor=actor, username=user.username)
    return user


def import_csv(session: Session, actor: User, text: str) -> ImportResult:
    """Create missing users (with a random initial password, returned once) and grant each line's role."""
    lines = _parse(text)
    errors = {f"line-{line.number}": message for line in lines if (message := _line_error(session, line))}
    errors.update(_duplicates(lines))
    if errors:
        raise InvalidData(f"CSV 有 {len(errors)} 行有误，未导入任何数据", dict(sorted(errors.items(), key=_line_order)))
    created: dict[str, str] = {}
    for line in lines:
        if line.username not in created and session.scalar(select(User).where(User.username == line.username)) is None:
            created[line.username] = secrets.token_urlsafe(9)
            identity.add_user(session, line.username, line.name, created[line.username], actor=actor)
        role = resolve_role(line.role)
        assert role is not None
        identity.grant_role(session, line.username, role.code, line.org, actor=actor)
    audit.record(session, "users.imported", actor=actor, lines=len(lines), created=sorted(created))
    return ImportResult(created, len(lines))


def _line_order(item: tuple[str, str]) -> int:
    return int(item[0].split("-")[1])


def _parse(text: str) -> list[ImportLine]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InvalidData("CSV 文件是空的", {"file": "第一行应为表头：用户名,姓名,组织代码,角色"})
    columns = [HEADERS.get(h.strip()) for h in rows[0]]
    if sorted(c for c in columns if c) != ["name", "org", "role", "username"]:
        raise InvalidData("CSV 表头不正确", {"line-1": "第一行应为表头：用户名,姓名,组织代码,角色"})
    if len(rows) - 1 > MAX_LINES:
        raise InvalidData("CSV 行数过多", {"file": f"一次最多导入 {MAX_LINES} 行"})
    lines = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {c: (row[i].strip() if i < len(row) else "") for i, c in enumerate(columns) if c}
        lines.append(ImportLine(number, values["username"], values["name"], values["org"].upper(), values["role"]))
    return lines


def _line_error(session: Session, line: ImportLine) -> str | None:
    if not line.username or not line.username.replace("_", "").replace(".", "").isalnum() or len(line.username) > 64:
        return f"第 {line.number} 行：用户名 {line.username!r} 无效（只能用字母、数字、下划线和点）"
    if not line.name:
        return f"第 {line.number} 行：姓名不能为空"
    org = session.scalar(select(Organisation).where(Organisation.code == line.org))
    if org is None:
        return f"第 {line.number} 行：组织 {line.org or '（空）'} 不存在"
    role = resolve_role(line.role)
    if role is None:
        return f"第 {line.number} 行：角色 {line.role or '（空）'} 不存在；可用：{'、'.join(r.label for r in ROLES.values())}"
    if role.scope is RoleScope.SUPERVISOR and org.kind != "supervisor" or role.scope is RoleScope.SOCIETY and org.kind != "society":
        return f"第 {line.number} 行：角色 {role.label} 不能在 {org.name} 中授予"
    return None


def _duplicates(lines: list[ImportLine]) -> dict[str, str]:
    seen: dict[tuple[str, str, str], int] = {}
    errors = {}
    for line in lines:
        role = resolve_role(line.role)
        key = (line.username, line.org, role.code if role else line.role)
        if key in seen:
            errors[f"line-{line.number}"] = f"第 {line.number} 行：与第 {seen[key]} 行重复"
        seen.setdefault(key, line.number)
    return errors

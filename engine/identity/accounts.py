"""Organisations, users, role memberships, API tokens, passwords and login throttling."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from engine import journal as audit
from engine.db import utcnow
from engine.errors import BadRequest, Conflict, InvalidData, NotFound
from engine.identity import throttle as login_throttle
from engine.identity.models import (
    ApiToken,
    LoginAttempt,
    Membership,
    Organisation,
    User,
)
from engine.roles import ROLES, RoleScope

PASSWORD_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = PASSWORD_HASHER.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8
TOKEN_LIFETIME = timedelta(days=90)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidData("密码太短", {"password": f"密码至少 {MIN_PASSWORD_LENGTH} 位"})
    return PASSWORD_HASHER.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    """Constant work whether or not the user exists, so timing does not reveal usernames."""
    try:
        return PASSWORD_HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def add_org(session: Session, code: str, name: str, kind: str = "society", parent_code: str | None = None,
            actor: User | None = None) -> Organisation:
    code, name = code.strip().upper(), name.strip()
    if kind not in ("society", "supervisor"):
        raise BadRequest("组织类型必须是 society 或 supervisor")
    if not code or not code.replace("-", "").isalnum() or not name:
        raise BadRequest("组织代码只能由字母、数字和连字符组成，名称不能为空")
    if session.scalar(select(Organisation).where(Organisation.code == code)):
        raise Conflict(f"组织代码 {code} 已存在")
    parent = _parent_for(session, kind, parent_code)
    org = Organisation(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(org)
    session.flush()
    audit.record(session, "org.created", actor=actor, org_id=org.id, code=code, name=name, kind=kind)
    return org


def _parent_for(session: Session, kind: str, parent_code: str | None) -> Organisation | None:
    if kind == "supervisor":
        return None
    if parent_code:
        return get_org(session, parent_code)
    supervisors = session.scalars(select(Organisation).where(Organisation.kind == "supervisor")).all()
    return supervisors[0] if len(supervisors) == 1 else None


def get_org(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    if org is None:
        raise NotFound(f"组织 {code} 不存在")
    return org


def add_user(session: Session, username: str, name: str, password: str, actor: User | None = None) -> User:
    username = username.strip()
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        raise BadRequest("用户名只能由字母、数字、下划线和点组成")
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已存在")
    user = User(username=username, name=name.strip() or username, password_hash=hash_password(password),
                session_token=secrets.token_hex(16))
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor=actor, username=username, name=user.name)
    return user


USER_BY_NAME = (select(User).options(joinedload(User.memberships))
                .where(User.username == bindparam("username")))
"""The user with their roles in one statement (the relationship alone loads them in a second one)."""


def get_user(session: Session, username: str) -> User:
    user = session.execute(USER_BY_NAME, {"username": username.strip()}).unique().scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户 {username} 不存在")
    return user


def grant_role(session: Session, username: str, role: str, org_code: str, actor: User | None = None) -> Membership:
    user, org = get_user(session, username), get_org(session, org_code)
    if role not in ROLES:
        raise BadRequest(f"角色 {role} 不存在；可用角色：{', '.join(ROLES)}")
    scope = ROLES[role].scope
    if scope is RoleScope.SUPERVISOR and org.kind != "supervisor" or scope is RoleScope.SOCIETY and org.kind != "society":
        where = "市科协（supervisor）" if scope is RoleScope.SUPERVISOR else "学会（society）"
        raise BadRequest(f"角色 {role} 只能在{where}中授予")
    existing = session.scalar(select(Membership).where(
        Membership.user_id == user.id, Membership.org_id == org.id, Membership.role == role))
    if existing:
        return existing
    membership = Membership(user_id=user.id, org_id=org.id, role=role)
    session.add(membership)
    user.session_token = secrets.token_hex(16)
    session.flush()
    session.refresh(user, ["memberships"])
    audit.record(session, "role.granted", actor=actor, org_id=org.id, username=username, role=role)
    return membership


def create_token(session: Session, username: str, actor: User | None = None,
                 lifetime: timedelta = TOKEN_LIFETIME) -> str:
    """Create an API token valid for ``lifetime``; only its SHA-256 is stored, the plaintext is returned once."""
    user = get_user(session, username)
    token = "bgn_" + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_token_digest(token), hint=token[:10],
                   expires_at=utcnow() + lifetime)
    session.add(row)
    session.flush()
    audit.record(session, "token.created", actor=actor, username=username, token_id=row.id,
                 expires_at=row.expires_at.isoformat(timespec="seconds"))
    return token


USER_FOR_TOKEN = (select(User).join(ApiToken, ApiToken.user_id == User.id)
                  .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked.is_(False),
                         ApiToken.expires_at > bindparam("now"), User.active.is_(True))
                  .options(joinedload(User.memberships)))
USER_FOR_SESSION = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.memberships))
"""Built once: every request authenticates with one of these, and building one costs more than running it."""


def user_for_token(session: Session, token: str) -> User | None:
    """The active user of a token that is neither revoked nor expired, memberships loaded in the same query."""
    found = session.scalars(USER_FOR_TOKEN, {"digest": _token_digest(token), "now": utcnow()})
    return found.unique().one_or_none()


def user_for_session(session: Session, user_id: int, session_token: str) -> User | None:
    """The active user of a login session (``User.get_id``), memberships loaded in the same query."""
    user = session.scalars(USER_FOR_SESSION, {"user_id": user_id}).unique().one_or_none()
    if user is None or not user.active or user.session_token != session_token:
        return None
    return user


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str | None = None
    throttled: bool = False
    retry_after: int = 0


def authenticate(session: Session, username: str, password: str, remote_addr: str,
                 now: datetime | None = None) -> LoginResult:
    """Check a password behind the login throttle (engine.login_throttle); record the attempt and its audit event."""
    username, remote_addr = (username or "").strip()[:64], (remote_addr or "?")[:64]
    gate = login_throttle.enter(session, username, remote_addr, now or utcnow())
    if gate.wait_seconds:
        wait = login_throttle.refuse(session, gate)
        return LoginResult(None, login_throttle.wait_message(wait), throttled=True, retry_after=wait)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    ok = verify_password(user, password or "") and user is not None and user.active
    session.add(LoginAttempt(username=username, remote_addr=remote_addr, success=ok))
    if not ok:
        audit.record(session, "login.failed", actor_name=username or "?", username=username, remote_addr=remote_addr)
        login_throttle.fail(session, gate)
        return LoginResult(None, "用户名或密码错误")
    login_throttle.succeed(session, gate)
    audit.record(session, "login.succeeded", actor=user, remote_addr=remote_addr)
    return LoginResult(user)


def revoke_sessions(session: Session, user: User) -> None:
    """Invalidate every browser session of ``user`` (logout, password or role change)."""
    user.session_token = secrets.token_hex(16)
    session.flush()


def societies(session: Session, among: set[int] | None = None) -> list[Organisation]:
    """Societies by code; ``among``: only those organisation ids."""
    stmt = select(Organisation).where(Organisation.kind == "society").order_by(Organisation.code)
    if among is not None:
        stmt = stmt.where(Organisation.id.in_(among))
    return list(session.scalars(stmt))


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}

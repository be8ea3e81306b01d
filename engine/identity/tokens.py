"""Seeing and revoking API tokens (creating and resolving them is engine.identity)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.db import utcnow
from engine.errors import NotFound
from engine.identity.accounts import get_user
from engine.identity.models import ApiToken, User
from engine.vocabulary import TokenStatus


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the token itself, only its first characters."""

    id: int
    username: str
    hint: str
    created_at: datetime
    expires_at: datetime
    status: TokenStatus

    @property
    def status_label(self) -> str:
        return self.status.label


def list_tokens(session: Session, username: str | None = None) -> list[TokenInfo]:
    """Every token (of one user, when given), newest first."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        query = query.where(ApiToken.user_id == get_user(session, username).id)
    now = utcnow()
    return [_info(token, owner, now) for token, owner in session.execute(query.order_by(ApiToken.id.desc()))]


def revoke_token(session: Session, token_id: int, actor: User | None = None,
                 owner: User | None = None) -> tuple[TokenInfo, bool]:
    """Revoke one token (only ``owner``'s, when given); returns it and whether it was still unrevoked."""
    token = session.get(ApiToken, token_id)
    if token is None or owner is not None and token.user_id != owner.id:
        raise NotFound(f"令牌 #{token_id} 不存在")
    username = session.scalar(select(User.username).where(User.id == token.user_id)) or "?"
    changed = not token.revoked
    if changed:
        token.revoked = True
        session.flush()
        audit.record(session, "token.revoked", actor=actor, username=username, token_id=token.id)
    return _info(token, username, utcnow()), changed


def _info(token: ApiToken, username: str, now: datetime) -> TokenInfo:
    if token.revoked:
        status = TokenStatus.REVOKED
    elif token.expires_at <= now:
        status = TokenStatus.EXPIRED
    else:
        status = TokenStatus.ACTIVE
    return TokenInfo(token.id, username, token.hint, token.created_at, token.expires_at, status)

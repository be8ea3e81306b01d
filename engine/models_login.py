"""The login-throttle counters: one row per (account, client address) and one per client address."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, utcnow


class LoginThrottle(Base):
    """Recent failed logins of one key; ``blocked_until`` is when the next password may be checked.

    ``scope`` is "account" (key: username typed + client address) or "address" (key: the client address
    alone, username ""); ``refused`` counts attempts turned away since the current block's audit event.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "username", "remote_addr", name="uq_login_throttle_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[Optional[datetime]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

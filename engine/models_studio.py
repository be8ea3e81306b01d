"""The process catalogue: whether a process may be started, and by which societies."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, utcnow


class ProcessSetting(Base):
    """Per process key (all versions): enabled or not, and the societies allowed to start it (None = all)."""

    __tablename__ = "process_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    starter_org_ids: Mapped[Optional[list[int]]] = mapped_column(JSON)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

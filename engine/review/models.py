"""Tables of the reviewer operations: delegations and transfers, added signers, saved phrases."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.identity.models import User


class TaskDelegation(Base):
    """委派 and 转办 of a task: who handed it to whom; an open delegation returns to its owner."""

    __tablename__ = "task_delegation"
    __table_args__ = (Index("ix_task_delegation_task", "task_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    delegate_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[Optional[datetime]]
    opinion: Mapped[Optional[str]] = mapped_column(Text)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="select")
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id], lazy="select")


class TaskSigner(Base):
    """加签: a person added before (they act first) or after (they act once the owner approved) a step."""

    __tablename__ = "task_signer"
    __table_args__ = (Index("ix_task_signer_task", "task_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"))
    signer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    position: Mapped[str] = mapped_column(String(8))
    added_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acted_at: Mapped[Optional[datetime]]

    signer: Mapped[User] = relationship(foreign_keys=[signer_id], lazy="select")
    adder: Mapped[User] = relationship(foreign_keys=[added_by], lazy="select")


class SavedPhrase(Base):
    """常用语: a reviewer's own saved opinion text."""

    __tablename__ = "saved_phrase"
    __table_args__ = (Index("ix_saved_phrase_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    text: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

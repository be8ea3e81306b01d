"""Tables around cases: case-number counters, copies (抄送), notifications, attachments and 暂存 drafts."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.identity.models import User
from engine.runtime.models import Case, HumanTask


class Counter(Base):
    """Named sequences such as case numbers per society, process and year."""

    __tablename__ = "counter"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


Index("ix_human_task_inbox_due", HumanTask.scope_org_id, HumanTask.role, HumanTask.status, HumanTask.due_at)


Index("ix_human_task_assignee_open", HumanTask.assignee_id, HumanTask.status, HumanTask.created_at)


class CaseCopy(Base):
    """抄送: a case copied to a person, who sees it under 抄送我的 and may mark it 已阅."""

    __tablename__ = "case_copy"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_case_copy_case_user"),
                      Index("ix_case_copy_user_at", "user_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    copied_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]

    case: Mapped[Case] = relationship(lazy="select")
    sender: Mapped[Optional[User]] = relationship(foreign_keys=[copied_by], lazy="select")


class Notification(Base):
    """An entry in a user's in-app notification centre (and, when SMTP is configured, an e-mail)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_at", "user_id", "created_at"),
                      Index("ix_notification_case_unread", "case_id", "read_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[Optional[datetime]]
    email_status: Mapped[Optional[str]] = mapped_column(String(16))

    case: Mapped[Optional[Case]] = relationship(lazy="select")


class NotificationSetting(Base):
    """Where a user's notifications are e-mailed (used only when SMTP is configured)."""

    __tablename__ = "notification_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    email: Mapped[Optional[str]] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A file on a case or on one opinion; the bytes live outside the web root under a random name."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_case", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[Optional[int]] = mapped_column(ForeignKey("human_task.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(80))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploader: Mapped[User] = relationship(lazy="select")


class TaskDraft(Base):
    """暂存: the unsent form data and opinion of one person on one open task."""

    __tablename__ = "task_draft"

    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class StartDraft(Base):
    """发起时暂存: the unsent title, society and form data of one person's not yet filed case of one process."""

    __tablename__ = "start_draft"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[Optional[int]] = mapped_column(ForeignKey("organisation.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)


class StartDraftFile(Base):
    """An attachment chosen on the 发起 form before the case exists; it becomes the case's attachment once filed."""

    __tablename__ = "start_draft_file"
    __table_args__ = (Index("ix_start_draft_file_owner", "user_id", "process_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    process_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

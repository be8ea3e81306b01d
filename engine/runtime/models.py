"""Tables of the workflow runtime: deployed process versions, cases with their workflow state, and the
human-task projection every inbox reads."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, utcnow
from engine.identity.models import Organisation, User


class ProcessDefinition(Base):
    """One immutable, numbered version of a deployed process with the forms it uses."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definition_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    comment: Mapped[Optional[str]] = mapped_column(Text)


class Case(Base):
    """A running or finished process instance with its serialized SpiffWorkflow state."""

    __tablename__ = "case"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]

    definition: Mapped[ProcessDefinition] = relationship(lazy="select")
    org: Mapped[Organisation] = relationship(lazy="select")
    creator: Mapped[User] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """Projection of one activation of a human step, so inboxes never deserialize a workflow."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_inbox", "scope_org_id", "role", "status", "created_at"),
        Index("ix_human_task_done", "completed_by", "completed_at"),
        Index("ix_human_task_inbox_society", "scope_org_id", "role", "status", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    scope_org_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    submitter_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    form_key: Mapped[Optional[str]] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[Optional[datetime]]
    completed_at: Mapped[Optional[datetime]]
    completed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    decision: Mapped[Optional[str]] = mapped_column(String(16))
    comment: Mapped[Optional[str]] = mapped_column(Text)
    submitted: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    case: Mapped[Case] = relationship(lazy="select")
    completer: Mapped[Optional[User]] = relationship(foreign_keys=[completed_by], lazy="select")

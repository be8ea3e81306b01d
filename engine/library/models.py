"""Tables of the process library: versioned DMN decision tables, the decisions they made, timers, and the
process catalogue (whether a process may be started, and by which societies), and heartbeats of the timer
workers."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class ProcessSetting(Base):
    """Per process key (all versions): enabled or not, and the societies allowed to start it (None = all)."""

    __tablename__ = "process_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    starter_org_ids: Mapped[Optional[list[int]]] = mapped_column(JSON)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DecisionTable(Base):
    """One immutable, numbered version of a DMN decision (thresholds an admin changes by deploying)."""

    __tablename__ = "decision_table"
    __table_args__ = (UniqueConstraint("decision_id", "version", name="uq_decision_table_id_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    dmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_by: Mapped[Optional[int]] = mapped_column(ForeignKey("app_user.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseDecision(Base):
    """Which version of which decision table chose a case's path, with what inputs and result."""

    __tablename__ = "case_decision"
    __table_args__ = (UniqueConstraint("case_id", "spiff_task_id", name="uq_case_decision_task"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    step: Mapped[str] = mapped_column(String(100))
    decision_id: Mapped[str] = mapped_column(String(100))
    table_version: Mapped[Optional[int]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class Timer(Base):
    """A deadline the worker acts on: a reminder, an escalation, or a step that ends by itself.

    Workers claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` and mark them fired in the same
    transaction as their effect, so a timer fires once, and a crashed worker's row becomes due again.
    A timer whose action raises is ``failed`` (retried from ``next_attempt_at``, with backoff), then ``parked``
    after too many ``attempts`` until an admin retries it; ``last_error`` says why.
    """

    __tablename__ = "timer"
    __table_args__ = (Index("ix_timer_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    fired_at: Mapped[Optional[datetime]]
    fired_by: Mapped[Optional[str]] = mapped_column(String(100))
    outcome: Mapped[Optional[str]] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    next_attempt_at: Mapped[Optional[datetime]]


class WorkerHeartbeat(Base):
    """One row per running timer worker, touched on every loop: its age tells whether timers are being served."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    last_seen: Mapped[datetime]


class HolidayDay(Base):
    """One date of the State Council's yearly notice: ``off`` (放假) or ``work`` (调休上班).

    Dates not listed follow chinese-calendar's data when it has the year, otherwise Monday to Friday.
    """

    __tablename__ = "holiday_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(50))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

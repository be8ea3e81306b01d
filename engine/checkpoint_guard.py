"""Protecting the stored checkpoints like the audit chain, and cross-checking them against the chain's own
``audit.checkpoint`` events.

On PostgreSQL ``audit_checkpoint`` refuses UPDATE, DELETE and TRUNCATE (``ENABLE ALWAYS`` triggers, installed by
migration 0007 and by :func:`engine.audit.install_pg_guards`). Every checkpoint is also logged in the chain, so
:func:`checkpoint_event_problem` finds a chain and a checkpoint table that no longer tell the same story: a
checkpoint row deleted while its event remains, a row whose event is gone (the tail was removed), or an event
whose recorded head no longer matches the event it names (history rewritten and re-hashed).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from .models import AuditEvent
from .models_audit import AuditCheckpoint

CHECKPOINT_ACTION = "audit.checkpoint"
CHECKPOINT_GUARD_DDL = [
    """CREATE OR REPLACE FUNCTION baguan_checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_checkpoint is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_checkpoint",
    "CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE OR DELETE ON audit_checkpoint "
    "FOR EACH ROW EXECUTE FUNCTION baguan_checkpoint_append_only()",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint",
    "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint "
    "FOR EACH STATEMENT EXECUTE FUNCTION baguan_checkpoint_append_only()",
    "ALTER TABLE audit_checkpoint ENABLE ALWAYS TRIGGER audit_checkpoint_no_update",
    "ALTER TABLE audit_checkpoint ENABLE ALWAYS TRIGGER audit_checkpoint_no_truncate",
]
CHECKPOINT_UNGUARD_DDL = [
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_update ON audit_checkpoint",
    "DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint",
    "DROP FUNCTION IF EXISTS baguan_checkpoint_append_only()",
]


def install_checkpoint_guards(connection: Connection) -> None:
    """Make ``audit_checkpoint`` refuse UPDATE, DELETE and TRUNCATE (PostgreSQL, once the table exists)."""
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(text("SELECT to_regclass('audit_checkpoint')")).scalar() is None:
        return
    for statement in CHECKPOINT_GUARD_DDL:
        connection.execute(text(statement))


def remove_checkpoint_guards(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    for statement in CHECKPOINT_UNGUARD_DDL:
        connection.execute(text(statement))


@dataclass(frozen=True)
class CheckpointProblem:
    checkpoint_id: int | None
    reason: str


def _as_int(value: Any) -> int | None:
    return value if type(value) is int else None


def _logged(session: Session) -> Iterable[AuditEvent]:
    return session.scalars(select(AuditEvent).where(AuditEvent.action == CHECKPOINT_ACTION).order_by(AuditEvent.id))


def checkpoint_event_problem(session: Session, stored: list[AuditCheckpoint]) -> CheckpointProblem | None:
    """The first disagreement between the chain's checkpoint events and the stored checkpoints, or None."""
    by_id = {checkpoint.id: checkpoint for checkpoint in stored}
    seen: set[int] = set()
    for event in _logged(session):
        detail = event.detail if isinstance(event.detail, dict) else {}
        checkpoint_id, event_id = _as_int(detail.get("checkpoint_id")), _as_int(detail.get("event_id"))
        head_hash = detail.get("head_hash")
        named = session.get(AuditEvent, event_id) if event_id is not None else None
        if named is None:
            return CheckpointProblem(checkpoint_id, f"审计事件 #{event.id} 记录的检查点所指事件 #{event_id} 已不存在")
        if named.hash != head_hash:
            return CheckpointProblem(checkpoint_id, f"审计事件 #{event.id} 记录的链头与事件 #{event_id} 的哈希不符"
                                                    "（链被改写后重算了哈希）")
        row = by_id.get(checkpoint_id) if checkpoint_id is not None else None
        if row is None:
            return CheckpointProblem(checkpoint_id, f"审计事件 #{event.id} 记录的检查点已从检查点表中删除")
        if row.event_id != event_id or row.head_hash != head_hash:
            return CheckpointProblem(checkpoint_id, f"检查点表中的记录与审计事件 #{event.id} 不符（检查点被修改）")
        seen.add(row.id)
    for checkpoint in stored:
        if checkpoint.id not in seen:
            return CheckpointProblem(checkpoint.id, "审计链中没有创建该检查点的事件（链尾被删除）")
    return None

"""Protecting the stored checkpoints like the audit chains, checking their chain heads against the chains, and
cross-checking them against the ``audit.checkpoint`` events of the ``system`` chain.

On PostgreSQL ``audit_checkpoint`` refuses UPDATE, DELETE and TRUNCATE (``ENABLE ALWAYS`` triggers, installed by
a migration and by :func:`engine.journal.install_pg_guards`). :func:`heads_problem` finds a checkpointed chain head
that is no longer at its position in its chain. Every checkpoint is also logged in the chain (with the heads it
names), so :func:`checkpoint_event_problem` finds a chain and a checkpoint table that no longer tell the same story:
a checkpoint row deleted while its event remains, a row whose event is gone (the tail was removed), or an event
whose recorded heads no longer match the events they name (history rewritten and re-hashed).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit.models import AuditCheckpoint
from engine.journal import AuditEvent

CHECKPOINT_ACTION = "audit.checkpoint"


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
        heads = detail.get("heads")
        named = heads if isinstance(heads, list) else [{"event_id": event_id, "hash": head_hash}]
        reason = _named_heads_problem(session, event, named)
        if reason:
            return CheckpointProblem(checkpoint_id, reason)
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


def _named_heads_problem(session: Session, event: AuditEvent, heads: list[Any]) -> str:
    for head in heads:
        head = head if isinstance(head, dict) else {}
        event_id = _as_int(head.get("event_id"))
        named = session.get(AuditEvent, event_id) if event_id is not None else None
        if named is None:
            return f"审计事件 #{event.id} 记录的检查点所指事件 #{event_id} 已不存在"
        if named.hash != head.get("hash"):
            return f"审计事件 #{event.id} 记录的链头与事件 #{event_id} 的哈希不符（链被改写后重算了哈希）"
    return ""


def heads_problem(session: Session, heads: list[dict[str, Any]]) -> str | None:
    """Why the chains no longer hold these checkpointed heads, each at its position in its chain, or None."""
    found = _positions(session, heads)
    for head in heads:
        event_id, chain = head["event_id"], head["chain"]
        if event_id not in found:
            return f"检查点所指事件 #{event_id} 已不存在（链 {chain} 的链尾或中间事件被删除）"
        if found[event_id][:2] != (chain, head["hash"]):
            return f"事件 #{event_id} 的哈希与检查点不符（链 {chain} 被改写）"
        if found[event_id][2] != head["length"]:
            return (f"链 {chain} 到事件 #{event_id} 应有 {head['length']} 个事件，现有 {found[event_id][2]} 个"
                    "（有事件被删除或插入）")
    return None


def _positions(session: Session, heads: list[dict[str, Any]]) -> dict[int, tuple[str, str, int]]:
    """The chain, hash and 1-based position in its chain of each event the heads name (one statement)."""
    event_ids, chains = [head["event_id"] for head in heads], sorted({head["chain"] for head in heads})
    position = func.row_number().over(partition_by=AuditEvent.chain, order_by=AuditEvent.id)
    numbered = (select(AuditEvent.id, AuditEvent.chain, AuditEvent.hash, position.label("position"))
                .where(AuditEvent.chain.in_(chains), AuditEvent.id <= max(event_ids, default=0)).subquery())
    rows = session.execute(select(numbered).where(numbered.c.id.in_(event_ids)))
    return {row.id: (row.chain, row.hash, row.position) for row in rows}

"""Checkpoints of the audit chain: the head (last event id, hash, count) at a UTC time, stored and exported as
an HMAC-signed JSON document. A later chain must still contain every checkpoint as a prefix; a removed tail or a
rewritten chain no longer matches the head an auditor kept elsewhere (reliability.md §5.3 "Anchoring")."""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.audit.checkpoint_guard import checkpoint_event_problem
from engine.audit.models import AuditCheckpoint
from engine.db import utcnow
from engine.errors import BadRequest, Conflict
from engine.identity.models import User
from engine.journal import AuditEvent

DOCUMENT_TYPE = "baguan-audit-checkpoint"
SIGNED_FIELDS = ("type", "version", "event_id", "event_count", "head_hash", "created_at")


def signing_key(secret: str | None, audit_key: str | None = None) -> bytes:
    """The audit key when configured (keep it away from the database administrators), else the secret key."""
    key = audit_key or secret
    if not key:
        raise BadRequest("未设置签名密钥：请设置 BAGUAN_AUDIT_KEY 或 BAGUAN_SECRET_KEY")
    return key.encode("utf-8")


def create_checkpoint(session: Session, actor: User | None = None) -> AuditCheckpoint:
    """Store the current head of the chain, then log that a checkpoint was taken."""
    head = session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    if head is None:
        raise Conflict("审计链为空，无法创建检查点")
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= head.id)) or 0
    checkpoint = AuditCheckpoint(event_id=head.id, event_count=count, head_hash=head.hash, created_at=utcnow(),
                                 created_by=actor.id if actor else None)
    session.add(checkpoint)
    session.flush()
    audit.record(session, "audit.checkpoint", actor=actor, checkpoint_id=checkpoint.id, event_id=head.id,
                 head_hash=head.hash)
    return checkpoint


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))


def stored_checkpoints(session: Session) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _signature(document: Mapping[str, Any], key: bytes) -> str:
    payload = json.dumps({f: document[f] for f in SIGNED_FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint_document(checkpoint: AuditCheckpoint, key: bytes) -> dict[str, Any]:
    """The exportable, signed form of a checkpoint."""
    document: dict[str, Any] = {
        "type": DOCUMENT_TYPE, "version": 1, "event_id": checkpoint.event_id,
        "event_count": checkpoint.event_count, "head_hash": checkpoint.head_hash,
        "created_at": _iso(checkpoint.created_at),
    }
    document["signature"] = _signature(document, key)
    return document


def parse_document(text: str) -> dict[str, Any]:
    """A checkpoint document read from a file; malformed input is a clear BadRequest."""
    try:
        document = json.loads(text)
    except ValueError:
        raise BadRequest("检查点文件不是有效的 JSON") from None
    if not isinstance(document, dict) or document.get("type") != DOCUMENT_TYPE:
        raise BadRequest("不是把关审计检查点文件")
    if not all(f in document for f in SIGNED_FIELDS + ("signature",)):
        raise BadRequest("检查点文件缺少字段")
    if not isinstance(document["event_id"], int) or not isinstance(document["event_count"], int):
        raise BadRequest("检查点文件的事件编号无效")
    return document


def signature_valid(document: Mapping[str, Any], key: bytes) -> bool:
    return hmac.compare_digest(str(document.get("signature", "")), _signature(document, key))


@dataclass(frozen=True)
class PrefixCheck:
    ok: bool
    reason: str = ""


def contains_prefix(session: Session, event_id: int, event_count: int, head_hash: str) -> PrefixCheck:
    """Whether the current chain still holds this head at this position (the chain itself verified apart)."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        return PrefixCheck(False, f"检查点所指事件 #{event_id} 已不存在（链尾或中间事件被删除）")
    if event.hash != head_hash:
        return PrefixCheck(False, f"事件 #{event_id} 的哈希与检查点不符（链被改写）")
    count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= event_id)) or 0
    if count != event_count:
        return PrefixCheck(False, f"检查点之前应有 {event_count} 个事件，现有 {count} 个（有事件被删除或插入）")
    return PrefixCheck(True)


def check_document(session: Session, document: Mapping[str, Any], key: bytes) -> PrefixCheck:
    """An exported checkpoint: its signature, then that the chain verifies and still contains it."""
    if not signature_valid(document, key):
        return PrefixCheck(False, "检查点签名无效（文件被修改，或签名密钥不同）")
    result = audit.verify_chain(session)
    if not result.ok:
        return PrefixCheck(False, f"第一个异常事件 #{result.first_bad_id}：{result.reason}")
    return contains_prefix(session, document["event_id"], document["event_count"], document["head_hash"])


@dataclass(frozen=True)
class ChainStatus:
    """The chain verified from the start, and every stored checkpoint checked against it."""

    result: audit.VerifyResult
    checkpoints: int
    bad_checkpoint: AuditCheckpoint | None = None
    checkpoint_reason: str = ""
    missing_checkpoint_id: int | None = None

    @property
    def bad_checkpoint_id(self) -> int | None:
        return self.bad_checkpoint.id if self.bad_checkpoint is not None else self.missing_checkpoint_id

    @property
    def ok(self) -> bool:
        return self.result.ok and self.bad_checkpoint is None and not self.checkpoint_reason


def chain_status(session: Session) -> ChainStatus:
    result = audit.verify_chain(session)
    stored = stored_checkpoints(session)
    for checkpoint in stored:
        check = contains_prefix(session, checkpoint.event_id, checkpoint.event_count, checkpoint.head_hash)
        if not check.ok:
            return ChainStatus(result, len(stored), checkpoint, check.reason)
    problem = checkpoint_event_problem(session, stored)
    if problem is not None:
        return ChainStatus(result, len(stored), checkpoint_reason=problem.reason,
                           missing_checkpoint_id=problem.checkpoint_id)
    return ChainStatus(result, len(stored))

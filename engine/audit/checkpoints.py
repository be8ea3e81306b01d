"""Checkpoints of the audit chains: the head of every chain (its length, last event id and hash) at a UTC time,
with the Merkle root of those heads (as Certificate Transparency signs its tree), stored and exported as an
HMAC-signed JSON document. Every later chain must still contain its checkpointed head at the same position; a
tail removed from any one chain, or a rewritten chain, no longer matches the heads an auditor kept elsewhere
(reliability.md §5.3 "Anchoring"). Checkpoints from before the chains were split (version 1) name the single
chain's last event and are checked as before.
"""
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
from engine.audit import merkle
from engine.audit.checkpoint_guard import checkpoint_event_problem, heads_problem
from engine.audit.models import AuditCheckpoint
from engine.db import utcnow
from engine.errors import BadRequest, Conflict
from engine.identity.models import User
from engine.journal import AuditChainHead, AuditEvent

DOCUMENT_TYPE = "baguan-audit-checkpoint"
SIGNED_FIELDS = ("type", "version", "event_id", "event_count", "head_hash", "created_at")


def signing_key(secret: str | None, audit_key: str | None = None) -> bytes:
    """The audit key when configured (keep it away from the database administrators), else the secret key."""
    key = audit_key or secret
    if not key:
        raise BadRequest("未设置签名密钥：请设置 BAGUAN_AUDIT_KEY 或 BAGUAN_SECRET_KEY")
    return key.encode("utf-8")


def create_checkpoint(session: Session, actor: User | None = None) -> AuditCheckpoint:
    """Store the current head of every chain and their Merkle root, then log that a checkpoint was taken."""
    heads = current_heads(session)
    if not heads:
        raise Conflict("审计链为空，无法创建检查点")
    root = merkle.root([merkle.leaf_hash(h) for h in heads])
    last, count = max(h["event_id"] for h in heads), sum(h["length"] for h in heads)
    checkpoint = AuditCheckpoint(event_id=last, event_count=count, head_hash=root, heads=heads, created_at=utcnow(),
                                 created_by=actor.id if actor else None)
    session.add(checkpoint)
    session.flush()
    audit.record(session, "audit.checkpoint", actor=actor, checkpoint_id=checkpoint.id,
                 event_id=checkpoint.event_id, head_hash=root, heads=heads)
    return checkpoint


def current_heads(session: Session) -> list[dict[str, Any]]:
    """Every non-empty chain's head as committed (one statement, so one snapshot), in chain order."""
    rows = session.execute(select(AuditChainHead.chain, AuditChainHead.length, AuditChainHead.head_hash)
                           .where(AuditChainHead.length > 0).order_by(AuditChainHead.chain)).all()
    named = select(AuditEvent.hash, AuditEvent.id).where(AuditEvent.hash.in_([row.head_hash for row in rows]))
    ids = {head_hash: event_id for head_hash, event_id in session.execute(named)}
    if any(row.head_hash not in ids for row in rows):
        raise Conflict("链头记录与审计事件不符：请先运行 baguan audit verify")
    return [{"chain": row.chain, "length": row.length, "event_id": ids[row.head_hash], "hash": row.head_hash}
            for row in rows]


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
    """The exportable, signed form of a checkpoint (the signature covers the root, the root covers the heads)."""
    document: dict[str, Any] = {
        "type": DOCUMENT_TYPE, "version": 1 if checkpoint.heads is None else 2, "event_id": checkpoint.event_id,
        "event_count": checkpoint.event_count, "head_hash": checkpoint.head_hash,
        "created_at": _iso(checkpoint.created_at),
    }
    if checkpoint.heads is not None:
        document["heads"] = checkpoint.heads
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
    if document["version"] != 1 and not _valid_heads(document.get("heads")):
        raise BadRequest("检查点文件的链头列表无效")
    return document


def _valid_heads(heads: Any) -> bool:
    return isinstance(heads, list) and all(
        isinstance(h, dict) and isinstance(h.get("chain"), str) and isinstance(h.get("hash"), str)
        and type(h.get("length")) is int and type(h.get("event_id")) is int for h in heads)


def heads_root(heads: list[dict[str, Any]]) -> str:
    return merkle.root([merkle.leaf_hash(h) for h in heads])


def chain_proofs(document: Mapping[str, Any], chains: set[str]) -> dict[str, Any]:
    """The document with its heads replaced by the heads of ``chains`` it covers, each with its audit path to the
    signed root (a dossier shows no other chain). A version 1 document covers none of the per-society chains."""
    heads = document.get("heads") or []
    leaves = [merkle.leaf_hash(h) for h in heads]
    proofs = [{"head": head, "index": i, "size": len(heads), "path": merkle.audit_path(leaves, i)}
              for i, head in enumerate(heads) if head["chain"] in chains]
    return {**{f: v for f, v in document.items() if f != "heads"}, "proofs": proofs}


def proof_valid(document: Mapping[str, Any], proof: Mapping[str, Any]) -> bool:
    """Whether one of :func:`chain_proofs`' heads and its audit path lead to the document's signed root."""
    leaf = merkle.leaf_hash(proof["head"])
    return merkle.root_from_path(leaf, proof["index"], proof["size"], proof["path"]) == document["head_hash"]


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
    """An exported checkpoint: its signature and root, then that the chains verify and still contain it."""
    if not signature_valid(document, key):
        return PrefixCheck(False, "检查点签名无效（文件被修改，或签名密钥不同）")
    heads = document.get("heads")
    if heads is not None and heads_root(heads) != document["head_hash"]:
        return PrefixCheck(False, "检查点的链头列表与其签名的根哈希不符（文件被修改）")
    result = audit.verify_chain(session)
    if not result.ok:
        return PrefixCheck(False, result.reason)
    return checkpoint_check(session, document["event_id"], document["event_count"], document["head_hash"], heads)


def checkpoint_check(session: Session, event_id: int, event_count: int, head_hash: str,
                     heads: list[dict[str, Any]] | None) -> PrefixCheck:
    if heads is None:
        return contains_prefix(session, event_id, event_count, head_hash)
    problem = heads_problem(session, heads)
    return PrefixCheck(problem is None, problem or "")


@dataclass(frozen=True)
class ChainStatus:
    """The chain verified from the start, and every stored checkpoint checked against it."""

    result: audit.VerifyResult
    checkpoints: int
    bad_checkpoint: AuditCheckpoint | None = None
    checkpoint_reason: str = ""
    missing_checkpoint_id: int | None = None

    @property
    def root(self) -> str:
        """The Merkle root over the verified chains' heads (what a checkpoint taken now would sign)."""
        return merkle.root([merkle.leaf_hash({"chain": h.chain, "length": h.length, "event_id": h.event_id,
                                              "hash": h.head_hash}) for h in self.result.heads])

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
        check = checkpoint_check(session, checkpoint.event_id, checkpoint.event_count, checkpoint.head_hash,
                                 checkpoint.heads)
        if not check.ok:
            return ChainStatus(result, len(stored), checkpoint, check.reason)
    problem = checkpoint_event_problem(session, stored)
    if problem is not None:
        return ChainStatus(result, len(stored), checkpoint_reason=problem.reason,
                           missing_checkpoint_id=problem.checkpoint_id)
    return ChainStatus(result, len(stored))

"""Tables of the auditor workspace: checkpoints (anchors) of the audit chain."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, utcnow


class AuditCheckpoint(Base):
    """The heads of every chain at one moment: a later chain must still contain each, or its tail was removed.

    ``heads`` lists each chain's (chain, length, event_id, hash) and ``head_hash`` is their Merkle root;
    ``event_id`` and ``event_count`` are the last event and the number of events. A checkpoint taken before the
    chains were split (``heads`` is NULL) names the single chain's last event: ``head_hash`` is its hash."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int]
    event_count: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[Optional[int]]
    heads: Mapped[Optional[list[dict[str, Any]]]] = mapped_column(JSON)

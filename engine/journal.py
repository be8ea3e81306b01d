"""The hash-chained audit trail (the engine's kernel; the auditor's reading side is ``engine.audit``): append in
the caller's transaction, verify from the start.

Appending to the chain is serialised (one head at a time), so it happens at the last moment: :func:`record`
queues the event in the session (``session.info``), and a ``before_commit`` hook appends every queued event
(lock, read the head, hash, insert) just before the commit, so the chain lock is held only for the append and
the commit, never across engine work (issue 11.4). A rolled-back transaction or savepoint drops its queued
events. Reading audit events in the same transaction appends the queued ones first, so a transaction always
sees its own events (the dossier export relies on that).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Optional

from sqlalchemy import JSON, Connection, String, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.sql.util import find_tables
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)

from engine.db import Base, utcnow

if TYPE_CHECKING:
    from engine.identity.models import User

GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 0x6261677561  # "bagua": one advisory lock serialises appends on PostgreSQL


class AuditEvent(Base):
    """Append-only, hash-chained record of everything that happened."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[Optional[int]] = mapped_column(index=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[Optional[int]] = mapped_column(index=True)
    case_id: Mapped[Optional[int]] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

PG_GUARD_DDL = [
    """CREATE OR REPLACE FUNCTION baguan_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$""",
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_event",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION baguan_audit_append_only()",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION baguan_audit_append_only()",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_update",
    "ALTER TABLE audit_event ENABLE ALWAYS TRIGGER audit_event_no_truncate",
]


def install_pg_guards(connection: Connection) -> None:
    """Make the audit table, and the checkpoint table once it exists, refuse UPDATE, DELETE and TRUNCATE
    (PostgreSQL only)."""
    if connection.dialect.name != "postgresql":
        return
    for statement in PG_GUARD_DDL:
        connection.execute(text(statement))
    install_checkpoint_guards(connection)


def canonical(event: AuditEvent) -> str:
    """The exact text that is hashed: fixed field order, UTC microseconds, sorted JSON."""
    return json.dumps([
        canonical_timestamp(event.occurred_at), event.action, event.actor_id, event.actor_name,
        event.org_id, event.case_id, event.detail,
    ], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_timestamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


PENDING_KEY = "baguan_audit_pending"


@dataclass(frozen=True)
class QueuedEvent:
    """An event recorded in ``transaction`` (the innermost one, a savepoint perhaps), not yet on the chain."""

    transaction: SessionTransaction
    event: AuditEvent


def record(session: Session, action: str, *, actor: User | None = None, actor_name: str | None = None,
           org_id: int | None = None, case_id: int | None = None, **detail: Any) -> AuditEvent:
    """Queue one event for the chain of the current transaction; it is appended when the transaction commits
    (or earlier, when the transaction reads audit events). Returns the event, without id or hash until then."""
    event = AuditEvent(
        action=action, actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else (actor_name or "系统"), org_id=org_id, case_id=case_id,
        detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)),
    )
    session.connection()
    transaction = session.get_nested_transaction() or session.get_transaction()
    assert transaction is not None
    session.info.setdefault(PENDING_KEY, []).append(QueuedEvent(transaction, event))
    return event


def append_pending(session: Session) -> list[AuditEvent]:
    """Append the queued events to the chain now (lock, head, hash, insert; flush, never commit)."""
    queued: list[QueuedEvent] = session.info.pop(PENDING_KEY, [])
    if not queued:
        return []
    _lock_chain(session)
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    for item in queued:
        event = item.event
        event.occurred_at, event.prev_hash = utcnow(), prev
        event.hash = prev = chain_hash(prev, event)
        session.add(event)
    session.flush()
    return [item.event for item in queued]


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


@sa_event.listens_for(Session, "before_commit")
def _append_before_commit(session: Session) -> None:
    if session.info.get(PENDING_KEY) and not session.in_nested_transaction():
        session.flush()
        append_pending(session)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    queued: list[QueuedEvent] = session.info.get(PENDING_KEY, [])
    if queued:
        session.info[PENDING_KEY] = [q for q in queued if not _within(q.transaction, previous_transaction)]


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING_KEY, None)


@sa_event.listens_for(Session, "do_orm_execute")
def _append_before_reading(state: ORMExecuteState) -> None:
    if state.is_select and state.session.info.get(PENDING_KEY) and _reads_audit_events(state):
        append_pending(state.session)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def _reads_audit_events(state: ORMExecuteState) -> bool:
    """Whether a statement reads audit events. ``find_tables`` walks the statement (tens of microseconds);
    ``get_final_froms`` compiled it and cost a quarter of every completion."""
    if any(mapper.class_ is AuditEvent for mapper in state.all_mappers):
        return True
    return any(getattr(table, "name", None) == AuditEvent.__tablename__
               for table in find_tables(state.statement, include_joins=True))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    head_hash: str
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(session: Session) -> VerifyResult:
    """Recompute every hash in id order; name the first event whose link or content does not match."""
    prev, count = GENESIS_HASH, 0
    for event in _events(session):
        if event.prev_hash != prev:
            return VerifyResult(False, count, prev, event.id, "前序哈希不匹配（有事件被删除、插入或重排）")
        if chain_hash(prev, event) != event.hash:
            return VerifyResult(False, count, prev, event.id, "内容哈希不匹配（事件内容被修改）")
        prev, count = event.hash, count + 1
    return VerifyResult(True, count, prev)


def _events(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in session.scalars(stmt):
        yield event


APP_ROLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
APPEND_ONLY_TABLES = ("audit_event", "audit_checkpoint")


def pg_app_role_sql(app_role: str, schema: str = "public") -> list[str]:
    """Statements, run by the migration (owner) role, that leave ``app_role`` only SELECT and INSERT on the audit
    tables and ordinary access elsewhere: it can neither update, delete nor truncate history, nor disable the
    triggers (only the owner can)."""
    if not re.match(APP_ROLE_PATTERN, app_role):
        raise ValueError(f"角色名无效：{app_role!r}")
    role, where = f'"{app_role}"', '"' + schema.replace('"', '""') + '"'
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {role}",
    ]
    for table in APPEND_ONLY_TABLES:
        statements += [f"REVOKE ALL ON {table} FROM PUBLIC", f"REVOKE ALL ON {table} FROM {role}",
                       f"GRANT SELECT, INSERT ON {table} TO {role}"]
    return statements


def harden_pg(connection: Connection, app_role: str) -> list[str]:
    """Apply :func:`pg_app_role_sql` in the connection's current schema; the audit tables must not be owned by
    the app role (an owner keeps every right), so ownership moves to the connected (migration) role first."""
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    owner = connection.execute(text("SELECT tableowner FROM pg_tables WHERE schemaname = :s AND tablename = :t"),
                               {"s": schema, "t": "audit_event"}).scalar()
    if owner is None:
        raise LookupError("audit_event 表不存在：请先运行 baguan init-db")
    statements = pg_app_role_sql(app_role, schema)
    if owner == app_role:
        statements = [f'ALTER TABLE {t} OWNER TO CURRENT_USER' for t in APPEND_ONLY_TABLES] + statements
    for statement in statements:
        connection.execute(text(statement))
    return statements


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

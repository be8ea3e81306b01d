"""The hash-chained audit trail: append in the caller's transaction, verify from the start."""
from __future__ import annotations

import hashlib
import re
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import Connection, select, text
from sqlalchemy.orm import Session

from .db import utcnow
from .models import AuditEvent, User

GENESIS_HASH = "0" * 64
CHAIN_LOCK_KEY = 0x6261677561  # "bagua": one advisory lock serialises appends on PostgreSQL

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
    from .checkpoint_guard import install_checkpoint_guards
    install_checkpoint_guards(connection)


def canonical(event: AuditEvent) -> str:
    """The exact text that is hashed: fixed field order, UTC microseconds, sorted JSON."""
    return json.dumps([
        _timestamp(event.occurred_at), event.action, event.actor_id, event.actor_name,
        event.org_id, event.case_id, event.detail,
    ], ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _timestamp(value: datetime) -> str:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode("utf-8")).hexdigest()


def record(session: Session, action: str, *, actor: User | None = None, actor_name: str | None = None,
           org_id: int | None = None, case_id: int | None = None, **detail: Any) -> AuditEvent:
    """Append one event to the chain inside the current transaction (flush, never commit)."""
    _lock_chain(session)
    prev = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    event = AuditEvent(
        occurred_at=utcnow(), action=action, actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else (actor_name or "系统"), org_id=org_id, case_id=case_id,
        detail=json.loads(json.dumps(detail, ensure_ascii=False, default=str)), prev_hash=prev,
    )
    event.hash = chain_hash(prev, event)
    session.add(event)
    session.flush()
    return event


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


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

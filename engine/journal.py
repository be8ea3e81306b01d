"""The hash-chained audit trail (the engine's kernel; the auditor's reading side is ``engine.audit``): append in
the caller's transaction, verify from the start.

Every society has its own chain (key ``org-<id>``; events without a society go to ``system``, and the events
written before chains existed form the frozen ``legacy`` chain), so unrelated societies append concurrently
(issue 13). Each chain has a head row (``audit_chain_head``: length and last hash) whose row lock serialises the
appends of that chain only. Appending happens at the last moment: :func:`record` queues the event in the session
(``session.info``), and a ``before_commit`` hook appends every queued event (lock and read the heads, hash,
insert, move the heads) just before the commit, so a chain lock is held only for the append and the commit, never
across engine work (issue 11.4). A rolled-back transaction or savepoint drops its queued events. Reading audit
events in the same transaction appends the queued ones first, so a transaction always sees its own events (the
dossier export relies on that). The signed checkpoints (``engine.audit.checkpoints``) cover every chain's head.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterator, Optional

from sqlalchemy import JSON, Connection, Index, Insert, String, bindparam, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.util import find_tables
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
)

from engine.db import Base, utcnow, writing_connection

if TYPE_CHECKING:
    from engine.identity.models import User

GENESIS_HASH = "0" * 64
SYSTEM_CHAIN = "system"
LEGACY_CHAIN = "legacy"


def chain_key(org_id: int | None) -> str:
    """The chain an event of this society (or of none) is appended to."""
    return SYSTEM_CHAIN if org_id is None else f"org-{org_id}"


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
    chain: Mapped[str] = mapped_column(String(32))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_event_chain_id", "chain", "id"),)


class AuditChainHead(Base):
    """The end of one chain: how many events it holds and the last one's hash. Its row lock serialises the appends
    of that chain (and only of that chain); it is updated, so it proves nothing alone: checkpoints sign it."""

    __tablename__ = "audit_chain_head"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    length: Mapped[int]
    head_hash: Mapped[str] = mapped_column(String(64))


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
    """Append the queued events to their chains now: lock and read the heads, hash, insert, move the heads (three
    Core statements; one event's INSERT and head UPDATE are one on PostgreSQL). The events never enter the session;
    they get their ids."""
    queued: list[QueuedEvent] = session.info.pop(PENDING_KEY, [])
    if not queued:
        return []
    events = [item.event for item in queued]
    connection = writing_connection(session)
    heads = _lock_heads(connection, sorted({chain_key(event.org_id) for event in events}))
    for event in events:
        key = chain_key(event.org_id)
        length, prev = heads[key]
        event.chain, event.occurred_at, event.prev_hash = key, utcnow(), prev
        event.hash = chain_hash(prev, event)
        heads[key] = (length + 1, event.hash)
    moved = [{"key": key, "length": length, "head_hash": head} for key, (length, head) in heads.items()]
    # Inserted in the order they were recorded, so ids keep the order of events across chains too.
    rows = [{column: getattr(e, column) for column in EVENT_COLUMNS} for e in events]
    for event, event_id in zip(events, _insert_moving_heads(connection, rows, moved)):
        event.id = event_id
    return events


def _insert_moving_heads(connection: Connection, rows: list[dict[str, Any]], moved: list[dict[str, Any]]) -> list[int]:
    """Insert the events and move the heads; the ids of the events. On PostgreSQL one event on one chain (the
    usual commit) takes one statement, the head UPDATE a CTE of the INSERT: one round trip fewer."""
    if connection.dialect.name == "postgresql" and len(rows) == 1:
        event = {f"event_{column}": value for column, value in rows[0].items()}
        return list(connection.execute(INSERT_MOVING_HEAD, {**event, **moved[0]}).scalars())
    ids = list(connection.execute(INSERT_EVENTS, rows).scalars())
    connection.execute(MOVE_HEADS, moved)
    return ids


EVENT_COLUMNS = ("occurred_at", "action", "actor_id", "actor_name", "org_id", "case_id", "detail", "chain",
                 "prev_hash", "hash")
INSERT_EVENTS = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id, sort_by_parameter_order=True)
MOVE_HEADS = (update(AuditChainHead.__table__).where(AuditChainHead.__table__.c.chain == bindparam("key"))
              .values(length=bindparam("length"), head_hash=bindparam("head_hash")))
INSERT_MOVING_HEAD = (
    insert(AuditEvent.__table__)
    .values({c: bindparam(f"event_{c}", type_=AuditEvent.__table__.c[c].type) for c in EVENT_COLUMNS})
    .add_cte(MOVE_HEADS.cte("moved_head")).returning(AuditEvent.__table__.c.id))
SELECT_HEADS = (select(AuditChainHead.chain, AuditChainHead.length, AuditChainHead.head_hash)
                .where(AuditChainHead.chain.in_(bindparam("keys", expanding=True)))
                .order_by(AuditChainHead.chain).with_for_update())
"""Built once: building and hashing these costs more than running them, at every audited commit."""


def _lock_heads(connection: Connection, keys: list[str]) -> dict[str, tuple[int, str]]:
    """(length, last hash) of each chain, its head row locked until the commit (created when missing). Rows are
    locked in key order, so two transactions appending to the same chains never deadlock."""
    heads = _select_heads(connection, keys)
    if len(heads) < len(keys):
        missing = [{"chain": key, "length": 0, "head_hash": GENESIS_HASH} for key in keys if key not in heads]
        connection.execute(_insert_ignoring_conflicts(connection), missing)
        heads = _select_heads(connection, keys)
    return heads


def _select_heads(connection: Connection, keys: list[str]) -> dict[str, tuple[int, str]]:
    return {chain: (length, head) for chain, length, head in connection.execute(SELECT_HEADS, {"keys": keys})}


def _insert_ignoring_conflicts(connection: Connection) -> Insert:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(AuditChainHead).on_conflict_do_nothing(index_elements=["chain"])


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
class ChainHead:
    """Where one chain ends: its number of events and the last one's hash."""

    chain: str
    length: int
    head_hash: str
    event_id: int = 0


@dataclass(frozen=True)
class ChainProblem:
    """The first thing wrong with one chain: a bad event (``event_id``), or a head row that disagrees with it."""

    chain: str
    event_id: int | None
    reason: str
    intact: int

    @property
    def text(self) -> str:
        if self.event_id is None:
            return f"链 {self.chain}：{self.reason}"
        return f"链 {self.chain} 第一个异常事件 #{self.event_id}：{self.reason}（该链此前 {self.intact} 个事件完好）"


@dataclass(frozen=True)
class VerifyResult:
    count: int
    heads: tuple[ChainHead, ...]
    problems: tuple[ChainProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_id(self) -> int | None:
        return next((p.event_id for p in self.problems if p.event_id is not None), None)

    @property
    def reason(self) -> str:
        return "；".join(p.text for p in self.problems)


def verify_chain(session: Session) -> VerifyResult:
    """Recompute every hash, chain by chain in id order: name each chain's first event whose link, content or chain
    does not match, and each chain whose head row is not its last event (a removed tail)."""
    ends: dict[str, ChainHead] = {}
    problems: dict[str, ChainProblem] = {}
    count, split = 0, False
    for event in _events(session):
        count += 1
        split = split or event.chain != LEGACY_CHAIN
        if event.chain in problems:
            continue
        end = ends.get(event.chain) or ChainHead(event.chain, 0, GENESIS_HASH)
        reason = _link_problem(event, end.head_hash)
        if not reason and split and event.chain == LEGACY_CHAIN:
            reason = "旧链在各学会分链之后又有事件（旧链已冻结，该事件是后来写入的）"
        if reason:
            problems[event.chain] = ChainProblem(event.chain, event.id, reason, end.length)
        else:
            ends[event.chain] = ChainHead(event.chain, end.length + 1, event.hash, event.id)
    for problem in _head_problems(session, ends):
        problems.setdefault(problem.chain, problem)
    ordered = sorted(problems.values(), key=lambda p: (p.event_id is None, p.event_id or 0, p.chain))
    return VerifyResult(count, tuple(sorted(ends.values(), key=lambda h: h.chain)), tuple(ordered))


def _link_problem(event: AuditEvent, prev: str) -> str:
    if event.prev_hash != prev:
        return "前序哈希不匹配（有事件被删除、插入或重排）"
    if chain_hash(prev, event) != event.hash:
        return "内容哈希不匹配（事件内容被修改）"
    if event.chain != LEGACY_CHAIN and event.chain != chain_key(event.org_id):
        return "事件所在的链与其学会不符（事件被移到另一条链）"
    return ""


def _head_problems(session: Session, ends: dict[str, ChainHead]) -> Iterator[ChainProblem]:
    """Each chain whose head row is missing or names another end: its tail was removed (or the row edited)."""
    stored = {row.chain: row for row in session.scalars(select(AuditChainHead))}
    for key in sorted(set(ends) | set(stored)):
        end, row = ends.get(key) or ChainHead(key, 0, GENESIS_HASH), stored.get(key)
        if row is None:
            yield ChainProblem(key, None, "缺少链头记录（链头被删除）", end.length)
        elif row.length != end.length:
            yield ChainProblem(key, None, f"链头记录有 {row.length} 个事件，链中实有 {end.length} 个"
                                          "（链尾被删除，或链头被改动）", end.length)
        elif row.head_hash != end.head_hash:
            yield ChainProblem(key, None, "链头记录的哈希与链中最后一个事件不符（链尾被改写，或链头被改动）", end.length)


def _events(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)
    for event in session.scalars(stmt):
        yield event


APP_ROLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,62}$"
APPEND_ONLY_TABLES = ("audit_event", "audit_checkpoint")


def pg_app_role_sql(app_role: str, schema: str = "public") -> list[str]:
    """Statements, run by the migration (owner) role, that leave ``app_role`` only SELECT and INSERT on the audit
    tables and ordinary access elsewhere: it can neither update, delete nor truncate history, nor disable the
    triggers (only the owner can). Tables a later migration of the same role creates (a new tally, say) are the
    app role's to use as well, so an upgrade does not lock the app out of them."""
    if not re.match(APP_ROLE_PATTERN, app_role):
        raise ValueError(f"角色名无效：{app_role!r}")
    role, where = f'"{app_role}"', '"' + schema.replace('"', '""') + '"'
    statements = [
        f"GRANT USAGE ON SCHEMA {where} TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {where} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
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

"""Database plumbing: declarative base, engine factory and the SQLite locking recipe."""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import MetaData, bindparam, create_engine, event, insert, inspect, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


READ_ONLY = "baguan_read_only"
PING_AFTER_IDLE_SECONDS = 5.0
"""A pooled PostgreSQL connection idle for longer than this is pinged before use; a busier one is not (a ping
is one more round trip on every request). One dropped within the window fails its request with the 503 to retry."""
_IDLE_SINCE = "baguan_idle_since"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC: every timestamp Baguan stores is UTC, on SQLite and PostgreSQL alike."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy would otherwise pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, ping_after_idle: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite every transaction but a reader's (``begin_reading``) starts with BEGIN IMMEDIATE.

    SQLite ignores SELECT ... FOR UPDATE, and deferred read-then-write transactions in WAL mode fail
    with SQLITE_BUSY_SNAPSHOT under concurrency, so the write lock is taken when the transaction begins.
    On PostgreSQL a pooled connection is checked before use once it has been idle for ``ping_after_idle`` seconds.
    """
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        _install_sqlite_pragmas(engine)
        return engine
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _install_idle_ping(engine, ping_after_idle)
    return engine


def _install_idle_ping(engine: Engine, ping_after_idle: float) -> None:
    """SQLAlchemy's pool_pre_ping, only for connections that sat idle: a restart or an idle-connection timeout
    drops those, while one handed back milliseconds ago is as good as a ping would prove."""
    @event.listens_for(engine, "checkin")
    def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < ping_after_idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError("pooled connection dropped while idle") from exc
            raise


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        reading = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


def begin_reading(session: Session) -> None:
    """Begin the session's transaction as a reader: on SQLite a deferred BEGIN, which waits for no writer.

    Only for a transaction that writes nothing (``is_reading`` tells): a deferred reader that then writes fails
    once another transaction has committed in between. The session's next transaction takes the write lock again.
    """
    session.connection(execution_options={READ_ONLY: True})


def is_reading(session: Session) -> bool:
    """Whether the session's current transaction was begun by ``begin_reading``."""
    return session.in_transaction() and bool(session.connection().get_execution_options().get(READ_ONLY, False))


class WriteInReadingTransaction(RuntimeError):
    """A Core write in a transaction begun by ``begin_reading`` (the web app refuses ORM flushes there too)."""


def writing_connection(session: Session) -> Connection:
    """The session's connection for a Core write, refused in a reading transaction like a flush is."""
    connection = session.connection()
    if connection.get_execution_options().get(READ_ONLY, False):
        raise WriteInReadingTransaction("a reading transaction writes: mark the view writes_on_read")
    return connection


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def write_rows(session: Session, rows: list[Any]) -> None:
    """Write the changed columns of persistent ORM objects with Core UPDATEs (one per object with a version
    fence, else one executemany per table and set of changed columns) and mark the objects stored, so that no
    flush has to look at them again: the unit of work costs several times the statements on the hot path.
    Raises ``StaleDataError`` as a flush would when a fence finds another version; an object with other changes
    (new, or a relationship set) is flushed the ordinary way."""
    batches: dict[tuple[Any, tuple[str, ...]], list[tuple[Any, dict[str, Any]]]] = {}
    for row in rows:
        values = _changed_columns(session, row)
        if values:
            batches.setdefault((inspect(row).mapper, tuple(values)), []).append((row, values))
    for (mapper, _columns), batch in batches.items():
        if mapper.version_id_col is None:
            _write_batch(session, mapper, [values for _row, values in batch])
        for row, values in batch:
            if mapper.version_id_col is not None:
                _write_fenced(session, mapper, row, values)
            _mark_stored(session, row)


def write_row(session: Session, row: Any) -> None:
    """:func:`write_rows` for one object."""
    write_rows(session, [row])


def _changed_columns(session: Session, row: Any) -> dict[str, Any] | None:
    """The columns to SET (with the row's key), None when there is nothing to write here."""
    state = inspect(row)
    mapper = state.mapper
    changed = [key for key, old in state.committed_state.items()
               if old is not state.dict.get(key) and old != state.dict.get(key)]
    if not state.persistent or len(mapper.primary_key) != 1 or any(k not in mapper.column_attrs for k in changed):
        session.flush([row])
        return None
    if not changed:
        _mark_stored(session, row)
        return None
    values = {mapper.column_attrs[key].columns[0].key: state.dict[key] for key in sorted(changed)}
    values[ROW_KEY] = state.identity[0]
    return values


def _write_batch(session: Session, mapper: Any, batch: list[dict[str, Any]]) -> None:
    connection = writing_connection(session)
    written = connection.execute(_row_update(mapper), batch).rowcount
    if written != len(batch) and (len(batch) == 1 or connection.dialect.supports_sane_multi_rowcount):
        raise StaleDataError(f"{mapper.local_table.name} 行已不存在")


def _write_fenced(session: Session, mapper: Any, row: Any, values: dict[str, Any]) -> None:
    fence = mapper.version_id_col
    fence_key = mapper.get_property_by_column(fence).key
    version = inspect(row).dict[fence_key]
    stmt = _row_update(mapper)
    written = writing_connection(session).execute(stmt, {**values, ROW_VERSION: version, fence.key: version + 1})
    if written.rowcount != 1:
        raise StaleDataError(f"{mapper.local_table.name} 行已被并发修改")
    set_committed_value(row, fence_key, version + 1)


def _mark_stored(session: Session, row: Any) -> None:
    state = inspect(row)
    state._commit_all(state.dict, session.identity_map)  # what a flush does last: the row is no longer dirty


ROW_KEY, ROW_VERSION = "written_row_key", "written_row_version"
_ROW_UPDATES: dict[Any, Any] = {}


def _row_update(mapper: Any) -> Any:
    """``UPDATE <table> WHERE <key> = :written_row_key [AND <version> = :written_row_version]``, built once per
    table; the SET clause is formed from the parameters (the changed columns)."""
    if mapper not in _ROW_UPDATES:
        stmt = update(mapper.local_table).where(mapper.primary_key[0] == bindparam(ROW_KEY))
        if mapper.version_id_col is not None:
            stmt = stmt.where(mapper.version_id_col == bindparam(ROW_VERSION))
        _ROW_UPDATES[mapper] = stmt
    return _ROW_UPDATES[mapper]


def insert_rows(session: Session, rows: list[Any]) -> None:
    """Insert new ORM objects of one class with a single Core statement (RETURNING their keys) and attach them
    to the session as stored, without a unit-of-work flush. Every column but the key must be set on each object
    (a column left unset with a default is flushed the ordinary way instead)."""
    if not rows:
        return
    mapper = inspect(rows[0]).mapper
    key, columns = mapper.primary_key[0], [c for c in mapper.local_table.c if not c.primary_key]
    if len(mapper.primary_key) != 1 or any(_unset_default(row, mapper, columns) for row in rows):
        session.add_all(rows)
        session.flush(rows)
        return
    names = {column.key: mapper.get_property_by_column(column).key for column in columns}
    values = [{column: getattr(row, name) for column, name in names.items()} for row in rows]
    keys = writing_connection(session).execute(_row_insert(mapper), values).scalars().all()
    for row, stored in zip(rows, keys):
        setattr(row, mapper.get_property_by_column(key).key, stored)
        make_transient_to_detached(row)
        session.add(row)


def _unset_default(row: Any, mapper: Any, columns: list[Any]) -> bool:
    loaded = inspect(row).dict
    return any(mapper.get_property_by_column(c).key not in loaded and (c.default is not None or
                                                                       c.server_default is not None)
               for c in columns)


_ROW_INSERTS: dict[Any, Any] = {}


def _row_insert(mapper: Any) -> Any:
    """``INSERT INTO <table> … RETURNING <key>`` in the order of the parameters, built once per table."""
    if mapper not in _ROW_INSERTS:
        _ROW_INSERTS[mapper] = insert(mapper.local_table).returning(mapper.primary_key[0],
                                                                    sort_by_parameter_order=True)
    return _ROW_INSERTS[mapper]

"""Loading benchmark rows in bulk (COPY on PostgreSQL, driver executemany in chunks on SQLite), then settling the
database the way production would be: tallies compacted (the worker's job) and planner statistics fresh."""
from __future__ import annotations

import json
from datetime import datetime
from itertools import chain, islice
from typing import Any, Iterable, Iterator

from sqlalchemy import Connection, Engine, Table, text
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import open_counts as open_counts
from engine.runtime import user_counts as user_counts

CHUNK = 5000


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def load_rows(session: Session, table: Table, rows: Iterable[dict[str, Any]], consistent: bool = False) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    ``consistent``: the rows are known to satisfy every foreign key and their tallies are left to the caller
    (finished tasks are in no 待办 tally; the per-person tallies are counted once after the load with
    ``user_counts.backfill``), so the load may skip the per-row work that dominates a million rows: foreign-key
    checks and triggers on PostgreSQL (replica mode), the triggers' row set-up on SQLite (dropped and restored
    in the same transaction)."""
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    if session.get_bind().dialect.name == "postgresql":
        if consistent:
            session.execute(text("SET LOCAL session_replication_role = replica"))
        _copy(session, table, list(first), chain([first], iterator))
        session.execute(text("SET LOCAL session_replication_role = DEFAULT"))
        return
    connection = session.connection()
    triggers = _sqlite_triggers(connection, table) if consistent else []
    for name, _ in triggers:
        connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
    columns = list(first)
    statement = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    for chunk in _chunks(chain([first], iterator)):
        connection.exec_driver_sql(statement, [tuple(_sqlite_value(row[c]) for c in columns) for row in chunk])
    for _, sql in triggers:
        connection.exec_driver_sql(sql)


def _sqlite_triggers(connection: Connection, table: Table) -> list[tuple[str, str]]:
    return [(name, sql) for name, sql in connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table.name,))]


def _copy(session: Session, table: Table, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    driver: Any = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


def _sqlite_value(value: Any) -> Any:
    """As SQLAlchemy stores it on SQLite (the driver-level insert skips its bind processing)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return _plain(value)


def _plain(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def settle(sessions: sessionmaker[Session]) -> None:
    """Fold the tallies the load left (as the worker does every loop), then refresh the planner's statistics;
    on PostgreSQL also VACUUM, as autovacuum would, so the folded rows' dead index entries are gone."""
    with sessions() as session, session.begin():
        open_counts.compact(session)
        user_counts.compact(session)
    engine: Engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))

"""Loading benchmark rows in bulk (COPY on PostgreSQL, executemany in chunks on SQLite), then settling the
database the way production would be: tallies compacted (the worker's job) and planner statistics fresh."""
from __future__ import annotations

import json
from itertools import chain, islice
from typing import Any, Iterable, Iterator

from sqlalchemy import Engine, Table, insert, text
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import open_counts as open_counts

CHUNK = 5000


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


def load_rows(session: Session, table: Table, rows: Iterable[dict[str, Any]], consistent: bool = False) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table`` in the session's transaction.

    ``consistent``: the rows are known to satisfy every foreign key and to be no trigger's concern (finished
    tasks are in no tally), so PostgreSQL may skip the per-row foreign-key checks (replica mode), which
    otherwise dominate a load of a million rows."""
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
    for chunk in _chunks(chain([first], iterator)):
        session.execute(insert(table), chunk)


def _copy(session: Session, table: Table, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    driver: Any = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([_plain(row[c]) for c in columns])


def _plain(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def settle(sessions: sessionmaker[Session]) -> None:
    """Fold the tallies the load left (as the worker does every loop), then refresh the planner's statistics;
    on PostgreSQL also VACUUM, as autovacuum would, so the folded rows' dead index entries are gone."""
    with sessions() as session, session.begin():
        open_counts.compact(session)
    engine: Engine = sessions.kw["bind"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))

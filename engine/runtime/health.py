"""Is this database fit to serve? Used by ``baguan serve`` before it starts and by ``/readyz``.

``worker_heartbeat`` is optional: when that table exists, its newest timestamp must be recent.
"""
from __future__ import annotations

from datetime import datetime

from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, column, func, inspect, select, table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from engine.runtime.schema import MIGRATIONS_DIR

HEARTBEAT_TABLE = "worker_heartbeat"


def migration_heads() -> set[str]:
    return set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def database_problem(engine: Engine) -> str | None:
    """One Chinese sentence when the database is unreachable or not at the migration head, else None."""
    try:
        with engine.connect() as connection:
            return schema_problem(connection)
    except SQLAlchemyError as exc:
        return f"数据库无法连接：{first_line(exc)}"


def schema_problem(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return "数据库尚未初始化，请先运行 baguan init-db"
    current = {str(r[0]) for r in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    expected = migration_heads()
    if current != expected:
        return (f"数据库迁移版本为 {','.join(sorted(current)) or '空'}，程序需要 {','.join(sorted(expected))}，"
                "请先运行 baguan init-db")
    return None


def heartbeat_problem(connection: Connection, max_age_seconds: int, now: datetime) -> str | None:
    """None when there is no heartbeat table or its newest beat is recent enough."""
    inspector = inspect(connection)
    if not inspector.has_table(HEARTBEAT_TABLE):
        return None
    stamps = [c["name"] for c in inspector.get_columns(HEARTBEAT_TABLE) if isinstance(c["type"], DateTime)]
    if not stamps:
        return None
    preferred = [s for s in stamps if any(word in s for word in ("beat", "seen", "last"))] or stamps
    newest = connection.execute(select(func.max(column(preferred[0]))).select_from(table(HEARTBEAT_TABLE))).scalar()
    if newest is None:
        return "没有定时器进程（baguan worker）的心跳"
    if isinstance(newest, str):
        newest = datetime.fromisoformat(newest)
    age = (now - newest.replace(tzinfo=None)).total_seconds()
    if age > max_age_seconds:
        return f"定时器进程（baguan worker）最近一次心跳在 {int(age)} 秒前"
    return None


def first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]

"""Fresh benchmark databases: a SQLite file, or a new schema in the local PostgreSQL's ``test`` database."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable

from sqlalchemy import text

from engine.db import make_engine

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
KINDS = ("sqlite", "postgresql")


def fresh_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    """A URL to an empty database of ``kind`` and the function that removes it."""
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def analyze(url: str) -> None:
    """Refresh the planner's statistics after bulk seeding, as an operator would after a data load."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()

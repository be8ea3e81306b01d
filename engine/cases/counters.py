"""Named counters (case numbers) that stay unique when several transactions draw from them at once."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.cases.models import Counter


def increment(session: Session, key: str) -> int:
    """Add one to counter ``key`` (created at 1 when missing) and return the new value, in one statement.

    ``SELECT … FOR UPDATE`` cannot lock a row that does not exist yet, so two first-of-the-year cases would both
    insert it and one would fail on the primary key. An upsert either inserts the row or, when it exists (or a
    concurrent creator committed it meanwhile: the upsert waits for it), increments it under its row lock.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(Counter).values(key=key, value=1)
                 .on_conflict_do_update(index_elements=["key"], set_={"value": Counter.value + 1})
                 .returning(Counter.value))
    return int(session.execute(statement).scalar_one())

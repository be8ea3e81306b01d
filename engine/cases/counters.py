"""Named counters (case numbers) that stay unique when several transactions draw from them at once."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.cases.models import Counter


def increment(session: Session, key: str) -> int:
    """Add one to counter ``key`` (created at 0 when missing) and return the new value.

    ``SELECT … FOR UPDATE`` cannot lock a row that does not exist yet, so two first-of-the-year cases
    would both insert it and one would fail on the primary key. Instead the row is created with
    ON CONFLICT DO NOTHING (which waits for a concurrent creator) and incremented under its row lock.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(Counter).values(key=key, value=0).on_conflict_do_nothing(index_elements=["key"]))
    statement = (update(Counter).where(Counter.key == key).values(value=Counter.value + 1)
                 .returning(Counter.value).execution_options(synchronize_session=False))
    return int(session.execute(statement).scalar_one())

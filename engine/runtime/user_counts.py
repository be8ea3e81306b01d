"""Exact numbers of a person's 已办 (tasks they completed) and 我发起的 (cases they filed), read in time flat in
how long their history is.

Database triggers on ``human_task`` and ``case`` add +1 or −1 rows to ``user_tally`` whenever a task becomes (or
stops being) completed by someone, or a case is filed (or removed), in the transaction that makes the change,
whatever made it. Writers only insert; the worker folds each person's rows into one every loop
(:func:`compact`), as it does for the 待办 tallies (``engine.runtime.open_counts``).
"""
from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Connection, Index, String, bindparam, event, func, literal, select, union_all
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base
from engine.runtime.models import Case, HumanTask
from engine.runtime.open_counts import fold, run_ddl


class TallyKind(StrEnum):
    DONE = "done"
    STARTED = "started"


class UserTally(Base):
    """+1/−1 rows per person and kind; their sum is the person's number of that kind."""

    __tablename__ = "user_tally"
    __table_args__ = (Index("ix_user_tally_user", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int]


KEY = (UserTally.user_id, UserTally.kind)


def _done(row: str) -> str:
    return f"{row}.status = 'completed' AND {row}.completed_by IS NOT NULL"


def _add(user: str, kind: TallyKind, sign: int, when: str = "") -> str:
    where = f" WHERE {when}" if when else ""
    return f"INSERT INTO user_tally (user_id, kind, delta) SELECT {user}, '{kind}', {sign}{where}"


TASK_TRIGGERS = ("human_task_done_insert", "human_task_done_delete", "human_task_done_update")
CASE_TRIGGERS = ("case_started_insert", "case_started_delete", "case_started_update")
_TASK_CHANGED = "OLD.status {0} NEW.status OR OLD.completed_by {0} NEW.completed_by"

SQLITE_DDL = [
    *[f"DROP TRIGGER IF EXISTS {name}" for name in (*TASK_TRIGGERS, *CASE_TRIGGERS)],
    f"CREATE TRIGGER human_task_done_insert AFTER INSERT ON human_task WHEN {_done('NEW')} "
    f"BEGIN {_add('NEW.completed_by', TallyKind.DONE, 1)}; END",
    f"CREATE TRIGGER human_task_done_delete AFTER DELETE ON human_task WHEN {_done('OLD')} "
    f"BEGIN {_add('OLD.completed_by', TallyKind.DONE, -1)}; END",
    f"CREATE TRIGGER human_task_done_update AFTER UPDATE ON human_task WHEN {_TASK_CHANGED.format('IS NOT')} "
    f"BEGIN {_add('OLD.completed_by', TallyKind.DONE, -1, _done('OLD'))}; "
    f"{_add('NEW.completed_by', TallyKind.DONE, 1, _done('NEW'))}; END",
    f"CREATE TRIGGER case_started_insert AFTER INSERT ON \"case\" BEGIN {_add('NEW.created_by', TallyKind.STARTED, 1)}; END",
    f"CREATE TRIGGER case_started_delete AFTER DELETE ON \"case\" BEGIN {_add('OLD.created_by', TallyKind.STARTED, -1)}; END",
    "CREATE TRIGGER case_started_update AFTER UPDATE OF created_by ON \"case\" "
    f"WHEN OLD.created_by IS NOT NEW.created_by BEGIN {_add('OLD.created_by', TallyKind.STARTED, -1)}; "
    f"{_add('NEW.created_by', TallyKind.STARTED, 1)}; END",
]

PG_DDL = [
    f"""CREATE OR REPLACE FUNCTION baguan_tally_done() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND {_done('OLD')} THEN {_add('OLD.completed_by', TallyKind.DONE, -1)}; END IF;
        IF TG_OP <> 'DELETE' AND {_done('NEW')} THEN {_add('NEW.completed_by', TallyKind.DONE, 1)}; END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION baguan_tally_started() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN {_add('OLD.created_by', TallyKind.STARTED, -1)}; END IF;
        IF TG_OP <> 'DELETE' THEN {_add('NEW.created_by', TallyKind.STARTED, 1)}; END IF;
        RETURN NULL;
    END $$""",
    *[f"DROP TRIGGER IF EXISTS {name} ON human_task" for name in TASK_TRIGGERS],
    *[f"DROP TRIGGER IF EXISTS {name} ON \"case\"" for name in CASE_TRIGGERS],
    f"CREATE TRIGGER human_task_done_insert AFTER INSERT ON human_task FOR EACH ROW WHEN ({_done('NEW')}) "
    "EXECUTE FUNCTION baguan_tally_done()",
    f"CREATE TRIGGER human_task_done_delete AFTER DELETE ON human_task FOR EACH ROW WHEN ({_done('OLD')}) "
    "EXECUTE FUNCTION baguan_tally_done()",
    "CREATE TRIGGER human_task_done_update AFTER UPDATE ON human_task FOR EACH ROW "
    f"WHEN ({_TASK_CHANGED.format('IS DISTINCT FROM')}) EXECUTE FUNCTION baguan_tally_done()",
    "CREATE TRIGGER case_started_insert AFTER INSERT ON \"case\" FOR EACH ROW EXECUTE FUNCTION baguan_tally_started()",
    "CREATE TRIGGER case_started_delete AFTER DELETE ON \"case\" FOR EACH ROW EXECUTE FUNCTION baguan_tally_started()",
    "CREATE TRIGGER case_started_update AFTER UPDATE OF created_by ON \"case\" FOR EACH ROW "
    "WHEN (OLD.created_by IS DISTINCT FROM NEW.created_by) EXECUTE FUNCTION baguan_tally_started()",
]
PG_FUNCTIONS = ("baguan_tally_done", "baguan_tally_started")


def install_triggers(connection: Connection) -> None:
    """Create (or replace) the triggers that keep ``user_tally`` in step with ``human_task`` and ``case``."""
    run_ddl(connection, PG_DDL, SQLITE_DDL)


event.listen(Base.metadata, "after_create", lambda _target, connection, **_: install_triggers(connection))


def backfill(connection: Connection) -> None:
    """Tally what people completed and filed before the table existed (the migration that introduces it)."""
    done = (select(HumanTask.completed_by, literal(TallyKind.DONE.value), func.count())
            .where(HumanTask.status == "completed", HumanTask.completed_by.is_not(None))
            .group_by(HumanTask.completed_by))
    started = select(Case.created_by, literal(TallyKind.STARTED.value), func.count()).group_by(Case.created_by)
    connection.execute(UserTally.__table__.insert().from_select(["user_id", "kind", "delta"],
                                                                union_all(done, started)))


def compact(session: Session) -> int:
    """Fold each person's rows of a kind into one; returns the rows folded."""
    return fold(session, UserTally, KEY)


TOTALS = (select(UserTally.kind, func.sum(UserTally.delta)).where(UserTally.user_id == bindparam("user_id"))
          .group_by(UserTally.kind))


def totals(session: Session, user_id: int) -> dict[TallyKind, int]:
    """The person's 已办 and 我发起的 numbers, from their few tally rows."""
    found = {TallyKind(kind): int(n or 0) for kind, n in session.execute(TOTALS, {"user_id": user_id})}
    return {kind: found.get(kind, 0) for kind in TallyKind}

"""Exact numbers of open tasks offered to a role (the 待办 totals), read in time flat in how many there are.

A task is *pooled* while it is open and offered to the holders of a role in its scope organisation (no named
assignee). Database triggers on ``human_task`` (and on ``case`` for a migration to another process version) add
+1 or −1 rows to ``open_task_tally`` whenever a task enters or leaves a pool, in the transaction that changes it,
whatever made the change: projection, completion, withdrawal, transfer, timers, migration or a bulk load.
Writers only insert, so two societies filing for the same 科协 role at once never wait on a counter row;
:func:`compact` folds the rows of each key into one (the worker does so every loop), so a pool's number is the
sum of a handful of rows. Rows carry the case's process version and the step, so a proxy's number can leave out
political steps.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import Connection, Index, String, case, delete, event, func, insert, null, or_, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base
from engine.runtime.models import Case, HumanTask


class OpenTaskTally(Base):
    """+1/−1 rows per pool (scope organisation, role), process version and step; their sum is the open count.
    Each change is tallied twice: for the whole pool (``submitter_id`` NULL) and for the pool's tasks filed by
    one person, so a reviewer's count leaves out the cases they filed without reading any task."""

    __tablename__ = "open_task_tally"
    __table_args__ = (Index("ix_open_task_tally_pool", "scope_org_id", "role", "submitter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_org_id: Mapped[int]
    role: Mapped[str] = mapped_column(String(32))
    definition_id: Mapped[int]
    bpmn_id: Mapped[str] = mapped_column(String(100))
    submitter_id: Mapped[Optional[int]]
    delta: Mapped[int]


KEY = (OpenTaskTally.scope_org_id, OpenTaskTally.role, OpenTaskTally.definition_id, OpenTaskTally.bpmn_id,
       OpenTaskTally.submitter_id)
TASK_KEY_COLUMNS = ("status", "assignee_id", "scope_org_id", "role", "bpmn_id", "case_id", "submitter_id")
COLUMNS = "scope_org_id, role, definition_id, bpmn_id, submitter_id, delta"


def _pooled(row: str) -> str:
    return f"{row}.status = 'open' AND {row}.assignee_id IS NULL"


def _add_row(row: str, sign: int, where: str = "") -> str:
    return "; ".join(f"INSERT INTO open_task_tally ({COLUMNS}) "
                     f"SELECT {row}.scope_org_id, {row}.role, c.definition_id, {row}.bpmn_id, {submitter}, {sign} "
                     f"FROM \"case\" c WHERE c.id = {row}.case_id{where}"
                     for submitter in ("NULL", f"{row}.submitter_id"))


def _move_case(old_or_new: str, sign: int) -> str:
    return "; ".join(f"INSERT INTO open_task_tally ({COLUMNS}) "
                     f"SELECT h.scope_org_id, h.role, {old_or_new}.definition_id, h.bpmn_id, {submitter}, {sign} "
                     f"FROM human_task h WHERE h.case_id = NEW.id AND {_pooled('h')}"
                     for submitter in ("NULL", "h.submitter_id"))


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in TASK_KEY_COLUMNS)


TRIGGERS = ("human_task_tally_insert", "human_task_tally_delete", "human_task_tally_update")

SQLITE_DDL = [
    *[f"DROP TRIGGER IF EXISTS {name}" for name in (*TRIGGERS, "case_tally_version")],
    f"CREATE TRIGGER human_task_tally_insert AFTER INSERT ON human_task WHEN {_pooled('NEW')} "
    f"BEGIN {_add_row('NEW', 1)}; END",
    f"CREATE TRIGGER human_task_tally_delete AFTER DELETE ON human_task WHEN {_pooled('OLD')} "
    f"BEGIN {_add_row('OLD', -1)}; END",
    f"CREATE TRIGGER human_task_tally_update AFTER UPDATE ON human_task WHEN {_changed('IS NOT')} "
    f"BEGIN {_add_row('OLD', -1, ' AND ' + _pooled('OLD'))}; {_add_row('NEW', 1, ' AND ' + _pooled('NEW'))}; END",
    "CREATE TRIGGER case_tally_version AFTER UPDATE OF definition_id ON \"case\" "
    f"WHEN OLD.definition_id IS NOT NEW.definition_id BEGIN {_move_case('OLD', -1)}; {_move_case('NEW', 1)}; END",
]

PG_DDL = [
    f"""CREATE OR REPLACE FUNCTION baguan_tally_task() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' AND {_pooled('OLD')} THEN {_add_row('OLD', -1)}; END IF;
        IF TG_OP <> 'DELETE' AND {_pooled('NEW')} THEN {_add_row('NEW', 1)}; END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION baguan_tally_case() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_move_case('OLD', -1)};
        {_move_case('NEW', 1)};
        RETURN NULL;
    END $$""",
    *[f"DROP TRIGGER IF EXISTS {name} ON human_task" for name in TRIGGERS],
    "DROP TRIGGER IF EXISTS case_tally_version ON \"case\"",
    f"CREATE TRIGGER human_task_tally_insert AFTER INSERT ON human_task FOR EACH ROW WHEN ({_pooled('NEW')}) "
    "EXECUTE FUNCTION baguan_tally_task()",
    f"CREATE TRIGGER human_task_tally_delete AFTER DELETE ON human_task FOR EACH ROW WHEN ({_pooled('OLD')}) "
    "EXECUTE FUNCTION baguan_tally_task()",
    f"CREATE TRIGGER human_task_tally_update AFTER UPDATE ON human_task FOR EACH ROW "
    f"WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION baguan_tally_task()",
    "CREATE TRIGGER case_tally_version AFTER UPDATE OF definition_id ON \"case\" FOR EACH ROW "
    "WHEN (OLD.definition_id IS DISTINCT FROM NEW.definition_id) EXECUTE FUNCTION baguan_tally_case()",
]


def run_ddl(connection: Connection, pg_ddl: list[str], sqlite_ddl: list[str]) -> None:
    """Run the statements written for the connection's database (a tally's triggers)."""
    for statement in pg_ddl if connection.dialect.name == "postgresql" else sqlite_ddl:
        connection.execute(text(statement))


def install_triggers(connection: Connection) -> None:
    """Create (or replace) the triggers that keep ``open_task_tally`` in step with ``human_task``."""
    run_ddl(connection, PG_DDL, SQLITE_DDL)


event.listen(Base.metadata, "after_create", lambda _target, connection, **_: install_triggers(connection))


def backfill(connection: Connection) -> None:
    """Tally the tasks already pooled (the migration that introduces the table)."""
    for submitter in ([], [HumanTask.submitter_id]):
        key = (HumanTask.scope_org_id, HumanTask.role, Case.definition_id, HumanTask.bpmn_id, *submitter)
        counted = (select(*key, *([] if submitter else [null()]), func.count())
                   .join(Case, Case.id == HumanTask.case_id)
                   .where(HumanTask.status == "open", HumanTask.assignee_id.is_(None)).group_by(*key))
        connection.execute(insert(OpenTaskTally).from_select([*[c.key for c in KEY], "delta"], counted))


def compact(session: Session) -> int:
    """Fold the rows of each pool key that has several into one (see :func:`fold`); returns the rows folded."""
    return fold(session, OpenTaskTally, KEY)


def fold(session: Session, model: Any, key: tuple[Any, ...]) -> int:
    """Fold the rows of each ``key`` of a +1/−1 tally table that has several into one (dropped when it sums to
    zero); returns the rows folded. Keys already folded are left alone, so a loop's work follows the changes
    since the last one.

    Each key's rows are deleted with RETURNING and their sum inserted in the same transaction. On PostgreSQL a
    concurrent compaction of the same key waits for the rows this one locked, then skips them, and never sees
    the sum this one inserts (its statement started earlier), so no delta is lost or counted twice."""
    folded = 0
    for values in session.execute(select(*key).group_by(*key).having(func.count() > 1)).all():
        same = [column.is_(None) if value is None else column == value for column, value in zip(key, values)]
        deltas = session.scalars(delete(model).where(*same).returning(model.delta)).all()
        folded += len(deltas)
        if sum(deltas):
            session.execute(insert(model).values(**dict(zip([c.key for c in key], values)), delta=sum(deltas)))
    return folded


def pooled_count(session: Session, scope_org_id: int, role: str, left_out: tuple[int, ...] = (),
                 *conditions: Any) -> int:
    """How many tasks are open in the pool of ``role`` in ``scope_org_id``, less those filed by ``left_out``
    (rows further narrowed by ``conditions`` on :class:`OpenTaskTally`, e.g. leaving out political steps)."""
    whole = OpenTaskTally.submitter_id.is_(None)
    signed = case((whole, OpenTaskTally.delta), else_=-OpenTaskTally.delta)
    return session.scalar(select(func.coalesce(func.sum(signed), 0))
                          .where(OpenTaskTally.scope_org_id == scope_org_id, OpenTaskTally.role == role,
                                 or_(whole, OpenTaskTally.submitter_id.in_(left_out)), *conditions)) or 0

"""Completing a step reads and writes history tables only through indexes (issue 13.5): the cost of a completion
must not grow with the number of finished cases, notifications or audit events. Every statement of a filing and
of each approval is planned by the database itself (SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with
sequential scans priced out), and none may scan a table that grows with history."""
from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from engine.cases import operations as cases
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..plan_walk import actor
from ..review_checks import approval_data

HISTORY_TABLES = ("case", "human_task", "notification", "audit_event", "timer", "task_delegation", "task_signer",
                  "case_copy", "attachment")


def _statements(db_engine: Engine, run: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        text = statement.lstrip().upper()
        if not many and (text.startswith(("SELECT", "UPDATE", "DELETE", "WITH"))
                         or text.startswith("INSERT") and "SELECT" in text):
            seen.append((statement, parameters))

    event.listen(db_engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(db_engine, "before_cursor_execute", keep)
    return seen


def _full_scans(db_engine: Engine, statement: str, parameters: Any) -> list[str]:
    with db_engine.connect() as connection:
        if db_engine.dialect.name == "sqlite":
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            return [line for line in plan for table in HISTORY_TABLES
                    if line.startswith(f"SCAN {table}") and "USING" not in line]
        connection.exec_driver_sql("SET enable_seqscan = off")
        plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
        connection.rollback()
        return [line for line in plan for table in HISTORY_TABLES if f"Seq Scan on {table} " in line + " "
                or f'Seq Scan on "{table}"' in line]


def test_filing_and_approving_scan_no_history_table(world: World, db_engine: Engine,
                                                    plan_data: dict[str, Any]) -> None:
    def file_and_approve() -> None:
        with world.sessions() as session, session.begin():
            case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                    "计划", plan_data)
            case_id = case.id
        for _ in range(3):
            with world.sessions() as session, session.begin():
                task = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id,
                                                              HumanTask.status == "open")).first()
                assert task is not None and session.get(Case, case_id) is not None
                username, data = actor(task.bpmn_id, "XH")
                cases.complete_task(session, world.user(session, username), task.id, "approve", "同意",
                                    approval_data(task.form_key, "approve", data))

    statements = _statements(db_engine, file_and_approve)
    assert len(statements) > 20
    scans = {statement.split("\n")[0][:160]: found for statement, parameters in statements
             if (found := _full_scans(db_engine, statement, parameters))}
    assert scans == {}

"""Shared set-up of the audit tests: a reviewed work plan, and edits made behind the application's back."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, text

from engine.cases import operations as cases
from engine import journal as audit
from engine.journal import AuditChainHead, AuditEvent
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from ..plan_walk import REVIEW_STEPS, actor
from ..review_checks import approval_data


def file_plan(world: World, plan: dict[str, Any], society: str = "XH", title: str = "2027 年度工作计划") -> int:
    with world.sessions() as session, session.begin():
        prefix = society.lower()
        case = cases.start_case(session, world.user(session, f"{prefix}_staff"), "annual_plan",
                                world.org(session, society), title, plan)
        return case.id


def decide(world: World, case_id: int, username: str, decision: str = "approve", comment: str = "",
           data: dict[str, Any] | None = None) -> None:
    with world.sessions() as session, session.begin():
        task = session.scalar(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open"))
        assert task is not None
        cases.complete_task(session, world.user(session, username), task.id, decision, comment,
                            approval_data(task.form_key, decision, data))


def run_plan_through(world: World, case_id: int, society: str = "XH") -> None:
    """From the secretary-general's review through finance, party, president and the council to the 科协's filing:
    the case ends 已备案."""
    for step in REVIEW_STEPS:
        username, data = actor(step, society)
        if step == "cast_filing":
            data = {"filing_number": "津科协备〔2027〕1号", "filing_date": "2027-01-15"}
        decide(world, case_id, username, data=data)


def file_history(world: World, plan: dict[str, Any]) -> list[int]:
    """A filed plan reviewed twice; returns every event id in order."""
    case_id = file_plan(world, plan)
    decide(world, case_id, "xh_sg")
    decide(world, case_id, "xh_finance", data={"budget_checked": True})
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))


def as_database_owner(world: World, statement: str, value: int, rows: int | None = 1) -> None:
    """Bypass the application: directly on SQLite, with the append-only triggers disabled on PostgreSQL."""
    with world.sessions() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        tables = ("audit_event", "audit_checkpoint") if postgres else ()
        for table in tables:
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        result = session.execute(text(statement), {"id": value})
        assert rows is None or result.rowcount == rows
        for table in tables:
            session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def case_ids(world: World) -> list[int]:
    with world.sessions() as session:
        return list(session.scalars(select(Case.id).order_by(Case.id)))


def rewind_heads(world: World) -> None:
    """What a thorough tamperer does after removing or re-hashing events: point every chain's head row at its
    current last event, so the chains alone verify again."""
    with world.sessions() as session, session.begin():
        session.execute(delete(AuditChainHead))
        ends: dict[str, tuple[int, str]] = {}
        for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
            ends[event.chain] = (ends.get(event.chain, (0, ""))[0] + 1, event.hash)
        session.add_all(AuditChainHead(chain=chain, length=length, head_hash=head)
                        for chain, (length, head) in ends.items())


def rehash_from(world: World, first_id: int) -> None:
    """What a superuser does after editing an event: recompute every later hash of its chain, and the heads."""
    with world.sessions() as session, session.begin():
        postgres = session.get_bind().dialect.name == "postgresql"
        if postgres:
            session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        prev: dict[str, str] = {}
        for event in list(session.scalars(select(AuditEvent).order_by(AuditEvent.id))):
            if event.id >= first_id:
                link = prev.get(event.chain, audit.GENESIS_HASH)
                event.prev_hash, event.hash = link, audit.chain_hash(link, event)
                session.flush()
            prev[event.chain] = event.hash
        if postgres:
            session.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    rewind_heads(world)
    with world.sessions() as session:
        assert audit.verify_chain(session).ok


def chain_ids(world: World, event_id: int) -> list[int]:
    """The ids of the chain that holds this event, in order."""
    with world.sessions() as session:
        chain = session.scalar(select(AuditEvent.chain).where(AuditEvent.id == event_id))
        return list(session.scalars(select(AuditEvent.id).where(AuditEvent.chain == chain).order_by(AuditEvent.id)))

"""The audit trail: every operation appends its event in the caller's transaction, and the chain verifies
(T-AUD). Tampering is covered through ``baguan audit verify`` in tests/security/test_audit_tamper.py."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases import operations as cases
from engine.identity import accounts as identity
from engine.identity.models import (
    ApiToken,
    LoginAttempt,
    Membership,
    Organisation,
    User,
)
from engine.journal import AuditEvent
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask, ProcessDefinition

from ..conftest import PROJECT_ROOT, TEST_PASSWORD, World


class Rollback(Exception):
    """Raised at the end of an operation to abandon its transaction."""


@dataclass
class Operation:
    run: Callable[[Session, World, dict[str, Any]], None]
    actions: list[str]
    leaves: Callable[[Session], int]


def _count(model: Any) -> Callable[[Session], int]:
    return lambda session: session.scalar(select(func.count()).select_from(model)) or 0


def _start(session: Session, world: World, plan: dict[str, Any]) -> None:
    cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"), "计划", plan)


def _complete(session: Session, world: World, plan: dict[str, Any]) -> None:
    task_id = session.scalar(select(HumanTask.id).where(HumanTask.status == "open",
                                                        HumanTask.role == "secretary_general"))
    cases.complete_task(session, world.user(session, "xh_sg"), task_id, "return", "请补充", {})


def _deploy_changed(session: Session, world: World, plan: dict[str, Any]) -> None:
    bpmn, dmn, forms = deployment.read_sources([PROJECT_ROOT / "workflows", PROJECT_ROOT / "forms"])
    changed = [type(s)(s.name, s.content.replace("秘书长审核".encode(), "秘书长审查".encode())
                       if s.name == "annual_plan.bpmn" else s.content) for s in bpmn]
    deployment.deploy(session, changed, dmn, forms)


OPERATIONS: dict[str, Operation] = {
    "start_case": Operation(_start, ["case.started", "task.completed"], _count(Case)),
    "complete_task": Operation(_complete, ["task.completed"],
                               lambda s: s.scalar(select(func.count()).select_from(HumanTask)
                                                  .where(HumanTask.decision == "return")) or 0),
    "deploy": Operation(_deploy_changed, ["process.deployed"], _count(ProcessDefinition)),
    "add_org": Operation(lambda s, w, p: identity.add_org(s, "ZH", "天津市新学会", "society", "TAST"),
                         ["org.created"], _count(Organisation)),
    "add_user": Operation(lambda s, w, p: identity.add_user(s, "newbie", "新人", "long-enough-password"),
                          ["user.created"], _count(User)),
    "grant_role": Operation(lambda s, w, p: identity.grant_role(s, "xh_fa", "finance", "XH"),
                            ["role.granted"], _count(Membership)),
    "create_token": Operation(lambda s, w, p: identity.create_token(s, "auditor"), ["token.created"], _count(ApiToken)),
    "failed_login": Operation(lambda s, w, p: identity.authenticate(s, "xh_sg", "wrong-password", "10.0.0.1"),
                              ["login.failed"], _count(LoginAttempt)),
    "login": Operation(lambda s, w, p: identity.authenticate(s, "xh_sg", TEST_PASSWORD, "10.0.0.1"),
                       ["login.succeeded"], _count(LoginAttempt)),
}


def _snapshot(world: World, operation: Operation) -> tuple[int, int]:
    with world.sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return events, operation.leaves(session)


def _prepare(world: World, name: str, plan: dict[str, Any]) -> None:
    if name == "complete_task":
        with world.sessions() as session, session.begin():
            _start(session, world, plan)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_rolled_back_operation_leaves_no_event(name: str, world: World, plan_data: dict[str, Any]) -> None:
    operation = OPERATIONS[name]
    _prepare(world, name, plan_data)
    before = _snapshot(world, operation)
    with world.sessions() as session, pytest.raises(Rollback):
        with session.begin():
            operation.run(session, world, plan_data)
            assert session.scalar(select(func.count()).select_from(AuditEvent)) > before[0]
            raise Rollback
    assert _snapshot(world, operation) == before
    with world.sessions() as session:
        assert audit.verify_chain(session).ok


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_a_committed_operation_leaves_exactly_its_events(name: str, world: World, plan_data: dict[str, Any]) -> None:
    operation = OPERATIONS[name]
    _prepare(world, name, plan_data)
    events_before, rows_before = _snapshot(world, operation)
    with world.sessions() as session, session.begin():
        operation.run(session, world, plan_data)
    with world.sessions() as session:
        new = session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(events_before)).all()
        assert [e.action for e in new] == operation.actions
        assert operation.leaves(session) == rows_before + 1
        result = audit.verify_chain(session)
        assert result.ok and result.count == events_before + len(operation.actions)
        assert {h.chain: h.head_hash for h in result.heads}[new[-1].chain] == new[-1].hash


def test_a_refused_operation_leaves_no_event(world: World, plan_data: dict[str, Any]) -> None:
    """InvalidData raised half-way through a start: the caller rolls back and nothing is recorded."""
    before = _snapshot(world, OPERATIONS["start_case"])
    plan_data["income_total"] = "不是数字"
    with world.sessions() as session, pytest.raises(cases.InvalidData):
        with session.begin():
            _start(session, world, plan_data)
    assert _snapshot(world, OPERATIONS["start_case"]) == before


def test_events_link_into_one_chain_per_society_in_id_order(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        _start(session, world, plan_data)
    with world.sessions() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        chains: dict[str, list[AuditEvent]] = {}
        for event in events:
            assert event.chain == audit.chain_key(event.org_id)
            chains.setdefault(event.chain, []).append(event)
        assert {audit.chain_key(world.org_ids["XH"]), audit.SYSTEM_CHAIN} <= set(chains)
        for chain in chains.values():
            assert chain[0].prev_hash == audit.GENESIS_HASH
            assert all(later.prev_hash == earlier.hash for earlier, later in zip(chain, chain[1:]))
        assert all(audit.chain_hash(e.prev_hash, e) == e.hash for e in events)
        assert len({e.hash for e in events}) == len(events)
        heads = {h.chain: (h.length, h.head_hash) for h in session.scalars(select(audit.AuditChainHead))}
        assert heads == {key: (len(chain), chain[-1].hash) for key, chain in chains.items()}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_refuses_update_delete_and_truncate_of_audit_events(world: World) -> None:
    """Append-only triggers are a PostgreSQL feature; on SQLite the chain alone reveals tampering."""
    statements = ["UPDATE audit_event SET detail = '{}' WHERE id = 1", "DELETE FROM audit_event WHERE id = 1",
                  "DELETE FROM audit_event", "TRUNCATE audit_event"]
    for statement in statements:
        with world.sessions() as session, pytest.raises(DBAPIError) as refused:
            with session.begin():
                session.execute(text(statement))
        assert "append-only" in str(refused.value)
    with world.sessions() as session:
        result = audit.verify_chain(session)
        assert result.ok and result.count == session.scalar(select(func.count()).select_from(AuditEvent)) > 0


"""The 待办 totals come from tallies that triggers keep in step with human_task (issue 13.4): after any mix of
filing, approving, returning, 撤回, 撤销, rejecting, transfers, delegations, timers firing, migrations to
another version and compactions, every pool's tally equals a real COUNT, every user's 待办 number (proxies
included) equals the COUNT the filtered inbox makes, and so do their 已办 and 我发起的 numbers."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from alembic import command
from sqlalchemy import func, inspect, select

import forms as form_lib
from engine.cases import operations as cases
from engine.cases import queries as queries
from engine.cases import worker as worker
from engine.cases.inbox import InboxFilter
from engine.db import make_engine, make_session_factory, utcnow
from engine.errors import BaguanError
from engine.identity.models import User
from engine.review import case_ops, proxies, task_ops
from engine.runtime import deploy as deployment
from engine.runtime import open_counts as open_counts
from engine.runtime import schema as schema
from engine.runtime import user_counts as user_counts
from engine.runtime.models import Case, HumanTask
from engine.runtime.open_counts import OpenTaskTally
from engine.runtime.specs import SourceFile
from engine.studio import migrate as studio_migrate
from engine.studio import versions as studio

from ..admin.diagrams import with_supervisor_review
from ..conftest import World, WorldTemplate, add_test_user
from ..plan_walk import actor
from ..processes.test_timer_failures import timed_process
from ..review_checks import approval_data

EVERY_TASK = InboxFilter(since=date(2000, 1, 1))
"""A filter that leaves nothing out but makes the inbox count with COUNT(*) instead of the tallies."""


@pytest.fixture
def counted_world(world: World, plan_data: dict[str, Any]) -> World:
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("t.bpmn", timed_process("probe_timeout", True).encode("utf-8"))],
                          [], form_lib.load_forms())
        for society in ("XH", "YH"):
            username = f"{society.lower()}_sg2"
            world.user_ids[username] = add_test_user(session, username,
                                                     [("secretary_general", world.org_ids[society])]).id
        today = date.today()
        for principal, proxy in (("xh_party", "xh_president"), ("cast", "cast_party")):
            proxies.set_proxy(session, world.user(session, principal), proxy, today, today + timedelta(days=60))
    world.plan = plan_data  # type: ignore[attr-defined]
    return world


def _open_task(session: Any, case_id: int) -> HumanTask | None:
    return session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")
                           .order_by(HumanTask.id)).first()


def _file(session: Any, world: World, society: str, _: int) -> None:
    cases.start_case(session, world.user(session, f"{society.lower()}_staff"), "annual_plan",
                     world.org(session, society), "计划", dict(world.plan))  # type: ignore[attr-defined]


def _file_timed(session: Any, world: World, society: str, _: int) -> None:
    cases.start_case(session, world.user(session, f"{society.lower()}_staff"), "probe_timeout",
                     world.org(session, society), "报备", {})


def _decide(decision: str) -> Callable[[Any, World, str, int], None]:
    def act(session: Any, world: World, society: str, case_id: int) -> None:
        task = _open_task(session, case_id)
        if task is None or task.bpmn_id not in ("draft", "sg_review", "finance_check", "party_review",
                                                "president_review", "council_meeting", "cast_filing"):
            return
        org = session.get(Case, case_id).org.code
        plan = world.plan  # type: ignore[attr-defined]
        username, data = (f"{org.lower()}_staff", plan) if task.bpmn_id == "draft" else actor(task.bpmn_id, org)
        chosen = "submit" if task.bpmn_id == "draft" else decision
        cases.complete_task(session, world.user(session, username), task.id, chosen, "请修改后再报",
                            approval_data(task.form_key, chosen, data))
    return act


def _submitter(session: Any, world: World, case_id: int) -> User:
    return session.get(User, session.get(Case, case_id).created_by)


def _recall(session: Any, world: World, society: str, case_id: int) -> None:
    case_ops.recall_case(session, _submitter(session, world, case_id), case_id, "撤回修改")


def _withdraw(session: Any, world: World, society: str, case_id: int) -> None:
    case_ops.withdraw_case(session, _submitter(session, world, case_id), case_id, "不再办理")


def _hand_over(operation: Callable[..., Any], target: str) -> Callable[[Any, World, str, int], None]:
    def hand(session: Any, world: World, society: str, case_id: int) -> None:
        task = _open_task(session, case_id)
        if task is None or task.kind == "draft":
            return
        org = session.get(Case, case_id).org.code
        holder = actor(task.bpmn_id, org)[0] if task.bpmn_id in _STEPS else "xh_sg"
        operation(session, world.user(session, holder), task.id, target.replace("xh_", f"{org.lower()}_"), "请办理")
    return hand


def _resolve(session: Any, world: World, society: str, case_id: int) -> None:
    task = _open_task(session, case_id)
    if task is not None and task.assignee_id is not None:
        task_ops.resolve_delegation(session, session.get(User, task.assignee_id), task.id, "意见如下")


def _time_out(session: Any, world: World, society: str, case_id: int) -> None:
    worker.run_due(world.sessions, now=utcnow() + timedelta(days=40))


def _migrate(session: Any, world: World, society: str, case_id: int) -> None:
    if studio.versions(session, "annual_plan")[-1].version == 1:
        studio.deploy_diagram(session, world.user(session, "admin"), with_supervisor_review().encode("utf-8"),
                              "annual_plan.bpmn", "增加监事审核")
    studio_migrate.migrate_case(session, world.user(session, "admin"), case_id, 2)


def _compact(session: Any, world: World, society: str, case_id: int) -> None:
    open_counts.compact(session)
    user_counts.compact(session)


_STEPS = ("sg_review", "finance_check", "party_review", "president_review", "council_meeting", "cast_filing")
OPERATIONS: dict[str, Callable[[Any, World, str, int], None]] = {
    "file": _file, "file_timed": _file_timed, "approve": _decide("approve"), "return": _decide("return"),
    "reject": _decide("reject"), "recall": _recall, "withdraw": _withdraw,
    "transfer": _hand_over(task_ops.transfer_task, "xh_sg2"),
    "delegate": _hand_over(task_ops.delegate_task, "xh_finance"), "resolve": _resolve, "timeout": _time_out,
    "migrate": _migrate, "compact": _compact}


def _apply(world: World, name: str, society: str, pick: int) -> None:
    with world.sessions() as session:
        ids = list(session.scalars(select(Case.id).where(Case.status == "running").order_by(Case.id)))
    if not name.startswith("file") and not ids:
        return
    try:
        with world.sessions() as session, session.begin():
            OPERATIONS[name](session, world, society, ids[pick % len(ids)] if ids else 0)
    except BaguanError:
        pass


def _assert_tallies_match(world: World) -> None:
    with world.sessions() as session:
        pool = (HumanTask.scope_org_id, HumanTask.role)
        pooled = (HumanTask.status == "open", HumanTask.assignee_id.is_(None))
        real = {tuple(key): n for *key, n in session.execute(select(*pool, func.count()).where(*pooled)
                                                              .group_by(*pool))}
        real_own = {tuple(key): n for *key, n in session.execute(
            select(*pool, HumanTask.submitter_id, func.count()).where(*pooled).group_by(*pool, HumanTask.submitter_id))}
        tally = (OpenTaskTally.scope_org_id, OpenTaskTally.role, OpenTaskTally.submitter_id)
        tallied = {tuple(key): n for *key, n in session.execute(
            select(*tally, func.sum(OpenTaskTally.delta)).group_by(*tally)) if n}
        assert {(o, r): n for (o, r, who), n in tallied.items() if who is None} == real
        assert {key: n for key, n in tallied.items() if key[2] is not None} == real_own
        for user in session.scalars(select(User)):
            counted = queries.todo_tasks(session, user, limit=1, f=EVERY_TASK).total
            assert queries.todo_count(session, user) == counted == queries.todo_tasks(session, user, limit=1).total
            done = session.scalar(select(func.count()).select_from(HumanTask)
                                  .where(HumanTask.completed_by == user.id, HumanTask.status == "completed"))
            started = session.scalar(select(func.count()).select_from(Case).where(Case.created_by == user.id))
            tabs = queries.tab_counts(session, user)
            assert (tabs.done, tabs.started) == (done, started)
            assert queries.done_tasks(session, user, limit=1).total == done
            assert queries.started_cases(session, user, limit=1).total == started


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(sorted(OPERATIONS)), st.sampled_from(["XH", "YH"]), st.integers(-3, 7)),
                min_size=4, max_size=16))
def test_tallies_equal_a_real_count_after_any_mix_of_operations(counted_world: World,
                                                                  steps: list[tuple[str, str, int]]) -> None:
    for society in ("XH", "YH"):
        _apply(counted_world, "file", society, 0)
    for name, society, pick in steps:
        _apply(counted_world, name, society, pick)
        _assert_tallies_match(counted_world)


def test_a_walk_through_every_operation_keeps_the_tallies_exact(counted_world: World) -> None:
    for name in ("file", "return", "file_timed", "file", "approve", "approve", "return", "file", "recall",
                 "delegate", "resolve", "approve", "transfer", "withdraw", "file", "migrate", "approve", "timeout",
                 "compact", "approve"):
        for society in ("XH", "YH"):
            for pick in (0, 2, 5, -1, -2):
                _apply(counted_world, name, society, pick)
        _assert_tallies_match(counted_world)


@pytest.mark.parametrize("revision, table", [("0013_audit_chains", "open_task_tally"),
                                             ("0015_notification_case_index", "user_tally")])
def test_a_tally_migration_counts_what_happened_before_it(db_url: str, world_template: WorldTemplate,
                                                          plan_data: dict[str, Any], revision: str, table: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine)
        world_template.copy_into(engine)
        world = World(make_session_factory(engine), dict(world_template.org_ids), dict(world_template.user_ids))
        world.plan = plan_data  # type: ignore[attr-defined]
        command.downgrade(schema.alembic_config(engine), revision)
        assert table not in inspect(engine).get_table_names()
        for name in ("file", "file", "approve", "approve", "return", "file", "delegate"):
            _apply(world, name, "XH", 1)
        schema.upgrade(engine)
        _assert_tallies_match(world)
        _apply(world, "approve", "XH", 0)
        _assert_tallies_match(world)
    finally:
        engine.dispose()

"""Thresholds in DMN: an admin deploys a changed table alone; a new table and process version follow,
new cases use it, running cases keep theirs, and each case records the table version that routed it."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import DeployRejected
from engine.library.models import DecisionTable
from engine.runtime import deploy as deployment
from engine.runtime.models import Case

from ..conftest import World
from .helpers import act, decisions, open_step, start
from .test_large_expense import FINANCE_OK, expense

PROJECT = Path(__file__).resolve().parents[2]
TABLE = (PROJECT / "workflows" / "expense_tier.dmn").read_text(encoding="utf-8")
RAISED = TABLE.replace("? &gt;= 10000", "? &gt;= 20000")


def deploy_table(world: World, text: str) -> list[deployment.DeployResult]:
    with world.sessions() as session, session.begin():
        return deployment.deploy(session, [], [deployment.SourceFile("expense_tier.dmn", text.encode())], {},
                                 fallback_forms=deployment.read_sources([PROJECT / "forms"])[2])


def test_a_changed_table_deployed_alone_versions_the_table_and_its_process(world: World) -> None:
    running = start(world, "large_expense", expense(15000))
    assert RAISED != TABLE
    [result] = deploy_table(world, RAISED)
    assert (result.key, result.version, result.created) == ("large_expense", 2, True)
    with world.sessions() as session:
        versions = list(session.scalars(select(DecisionTable.version).where(
            DecisionTable.decision_id == "expense_tier_table").order_by(DecisionTable.version)))
    assert versions == [1, 2]
    fresh = start(world, "large_expense", expense(15000, payee="91120000MA05NEW001"))
    for case_id in (running, fresh):
        act(world, "xh_finance", case_id, data=FINANCE_OK)
        act(world, "xh_sg", case_id)
    assert open_step(world, running) == "president_review"
    assert open_step(world, fresh) == "payment"
    assert [d.table_version for d in decisions(world, running)] == [1]
    assert [d.table_version for d in decisions(world, fresh)] == [2]
    with world.sessions() as session:
        old, new = session.get(Case, running), session.get(Case, fresh)
        assert old is not None and new is not None
        assert (old.definition.version, new.definition.version) == (1, 2)


def test_redeploying_the_same_table_changes_nothing(world: World) -> None:
    [result] = deploy_table(world, TABLE)
    assert (result.version, result.created) == (1, False)


def test_an_unsafe_table_cell_is_refused(world: World) -> None:
    hostile = TABLE.replace('"standing"', "__import__('os').system('id')", 1)
    with pytest.raises(DeployRejected) as refused:
        deploy_table(world, hostile)
    assert any("决策表" in p for p in refused.value.problems)

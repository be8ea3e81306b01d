"""Studio versions: deploy with a reason, compare, migrate running cases where safe, roll back."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine import journal as audit
from engine.cases import operations as cases
from engine.errors import Conflict, DeployRejected, InvalidData
from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask
from engine.studio import migrate as studio_migrate
from engine.studio import versions as studio
from engine.studio.diff import diff_versions

from ..conftest import World, add_test_user
from ..review_checks import approval_data
from .diagrams import ADDED_STEP, ANNUAL_PLAN, with_supervisor_review, without_sg_review


def _deploy(world: World, xml: str, comment: str = "增加监事审核") -> int:
    with world.sessions() as session, session.begin():
        return studio.deploy_diagram(session, world.user(session, "admin"), xml.encode("utf-8"),
                                     "annual_plan.bpmn", comment).version


def _start(world: World, plan: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "计划", plan).id


def _open_task(world: World, case_id: int) -> HumanTask:
    with world.sessions() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open"))
        session.expunge(task)
        return task


def _approve(world: World, case_id: int, username: str, data: dict[str, Any] | None = None) -> str:
    task = _open_task(world, case_id)
    with world.sessions() as session, session.begin():
        cases.complete_task(session, world.user(session, username), task.id, "approve", "",
                            approval_data(task.form_key, "approve", data))
    return task.name


def test_a_deploy_records_who_when_and_why(world: World) -> None:
    assert _deploy(world, with_supervisor_review()) == 2
    with world.sessions() as session:
        [v2, v1] = studio.versions(session, "annual_plan")
        assert (v2.version, v2.comment, v2.deployed_by) == (2, "增加监事审核", world.user_ids["admin"])
        assert v1.comment is None and v2.deployed_at >= v1.deployed_at
        event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert (event.action, event.detail["comment"], event.actor_id) == ("process.deployed", "增加监事审核",
                                                                          world.user_ids["admin"])


def test_a_deploy_without_a_reason_is_refused(world: World) -> None:
    with world.sessions() as session, pytest.raises(InvalidData) as refused:
        studio.deploy_diagram(session, world.user(session, "admin"), with_supervisor_review().encode(), "a.bpmn", " ")
    assert "comment" in refused.value.fields


def test_validate_reports_problems_with_elements_and_stores_nothing(world: World) -> None:
    broken = with_supervisor_review().replace('name="监事"', 'name="路人甲"')
    with world.sessions() as session:
        problems = studio.validate_diagram(session, broken.encode(), "annual_plan.bpmn")
        assert [p["element"] for p in problems] == ["supervisor_review"]
        assert studio.validate_diagram(session, with_supervisor_review().encode(), "annual_plan.bpmn") == []
        assert len(studio.versions(session, "annual_plan")) == 1


def test_two_versions_compare_element_by_element(world: World) -> None:
    _deploy(world, with_supervisor_review())
    with world.sessions() as session:
        diff = diff_versions(studio.get_version(session, "annual_plan", 1), studio.get_version(session, "annual_plan", 2))
    assert {(c.element, c.label) for c in diff.added} == {("supervisor_review", ADDED_STEP),
                                                           ("f_supervisor", "f_supervisor")}
    [added_task] = [c for c in diff.added if c.element == "supervisor_review"]
    assert added_task.kind == "人工任务"
    assert diff.removed == []
    [flow] = [c for c in diff.changed if c.element == "f_sg_review_finance_check"]
    assert flow.changes["终点"] == ("finance_check", "supervisor_review")


def test_a_running_case_migrates_to_the_new_step_and_is_audited(world: World, plan_data: dict[str, Any]) -> None:
    with world.sessions() as session, session.begin():
        world.user_ids["xh_supervisor"] = add_test_user(session, "xh_supervisor",
                                                        [("supervisor", world.org_ids["XH"])]).id
    case_id = _start(world, plan_data)
    _deploy(world, with_supervisor_review())
    with world.sessions() as session:
        [check] = studio_migrate.preview(session, "annual_plan", 2)
        assert (check.case_id, check.safe, check.from_version) == (case_id, True, 1)
    with world.sessions() as session, session.begin():
        studio_migrate.migrate_case(session, world.user(session, "admin"), case_id, 2)
    assert _approve(world, case_id, "xh_sg") == "秘书长审核"
    assert (_open_task(world, case_id).name, _open_task(world, case_id).role) == (ADDED_STEP, "supervisor")
    _approve(world, case_id, "xh_supervisor")
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case.definition.version == 2
        migrated = session.scalars(select(AuditEvent).where(AuditEvent.action == "case.migrated")).one()
        assert (migrated.case_id, migrated.detail["from_version"], migrated.detail["to_version"]) == (case_id, 1, 2)
        assert audit.verify_chain(session).ok


def test_a_case_whose_current_step_was_removed_is_not_migrated(world: World, plan_data: dict[str, Any]) -> None:
    case_id = _start(world, plan_data)
    _deploy(world, without_sg_review(), "取消秘书长审核")
    with world.sessions() as session:
        [check] = studio_migrate.preview(session, "annual_plan", 2)
        assert not check.safe and "秘书长审核" in check.reason
    with world.sessions() as session, pytest.raises(Conflict):
        studio_migrate.migrate_case(session, world.user(session, "admin"), case_id, 2)
    with world.sessions() as session:
        assert session.get(Case, case_id).definition.version == 1
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "case.migrated")) is None


def test_rollback_deploys_the_earlier_version_as_a_new_one(world: World, plan_data: dict[str, Any]) -> None:
    _deploy(world, with_supervisor_review())
    with world.sessions() as session, session.begin():
        copy = studio.rollback(session, world.user(session, "admin"), "annual_plan", 1, "监事审核暂缓")
        assert copy.version == 3
    case_id = _start(world, plan_data)
    _approve(world, case_id, "xh_sg")
    assert _open_task(world, case_id).name == "财务审核年度收支预算"
    with world.sessions() as session:
        v1, v3 = studio.get_version(session, "annual_plan", 1), studio.get_version(session, "annual_plan", 3)
        assert v3.bpmn_xml == v1.bpmn_xml and v3.comment == "监事审核暂缓"
        assert diff_versions(v1, v3).empty
    with world.sessions() as session, pytest.raises(Conflict):
        studio.rollback(session, world.user(session, "admin"), "annual_plan", 1, "再来一次")


def test_a_diagram_with_two_processes_or_a_wrong_name_is_refused(world: World) -> None:
    with world.sessions() as session, pytest.raises(Exception) as refused:
        studio.deploy_diagram(session, world.user(session, "admin"), ANNUAL_PLAN.encode(), "plan.xml", "说明")
    assert ".bpmn" in str(refused.value)
    with world.sessions() as session, pytest.raises(DeployRejected):
        studio.deploy_diagram(session, world.user(session, "admin"), b"<x/>", "plan.bpmn", "说明")

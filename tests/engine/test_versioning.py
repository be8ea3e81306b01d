"""Deploying creates immutable numbered versions; running cases stay on the version they started on (T-CONC-05)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from engine import journal as audit
from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.runtime import deploy as deployment
from engine.runtime.models import Case, HumanTask, ProcessDefinition

from ..conftest import PROJECT_ROOT, World
from ..plan_walk import REVIEW_STEPS, actor
from ..review_checks import approval_data

OLD_NAME, NEW_NAME = "秘书长审核", "秘书长合规审核"


def _deploy(world: World, *paths: Path) -> list[deployment.DeployResult]:
    with world.sessions() as session, session.begin():
        return deployment.deploy(session, *deployment.read_sources(list(paths)),
                                 fallback_forms=deployment.read_sources([PROJECT_ROOT / "forms"])[2])


def _version_2(tmp_path: Path) -> Path:
    source = (PROJECT_ROOT / "workflows" / "annual_plan.bpmn").read_text(encoding="utf-8")
    assert f'name="{OLD_NAME}"' in source
    changed = tmp_path / "annual_plan.bpmn"
    changed.write_text(source.replace(f'name="{OLD_NAME}"', f'name="{NEW_NAME}"'), encoding="utf-8")
    return changed


def _counts(world: World) -> tuple[int, int]:
    with world.sessions() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0,
                session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def _start(world: World, plan: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        return cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "计划", plan).id


def _act(world: World, case_id: int, username: str, data: dict[str, Any] | None = None) -> HumanTask:
    with world.sessions() as session, session.begin():
        [task] = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open"))
        cases.complete_task(session, world.user(session, username), task.id, "approve", "",
                            approval_data(task.form_key, "approve", data))
        return task


def test_unchanged_content_creates_no_new_version(world: World) -> None:
    before = _counts(world)
    results = _deploy(world, PROJECT_ROOT / "workflows", PROJECT_ROOT / "forms")
    assert ("annual_plan", 1, False) in [(r.key, r.version, r.created) for r in results]
    assert not any(r.created for r in results)
    assert _counts(world) == before


def test_changed_form_alone_creates_a_new_version(world: World, tmp_path: Path) -> None:
    form = (PROJECT_ROOT / "forms" / "sg_review.json").read_text(encoding="utf-8")
    (tmp_path / "sg_review.json").write_text(form.replace("已核对业务与合规要点", "已核对合规要点"), encoding="utf-8")
    results = _deploy(world, PROJECT_ROOT / "workflows", tmp_path / "sg_review.json")
    [result] = [r for r in results if r.key == "annual_plan"]
    assert (result.version, result.created) == (2, True)


def test_running_case_stays_on_version_1_while_new_cases_use_version_2(world: World, tmp_path: Path,
                                                                       plan_data: dict[str, Any]) -> None:
    old_case = _start(world, plan_data)
    events_before = _counts(world)[1]
    [result] = _deploy(world, _version_2(tmp_path))
    assert (result.key, result.version, result.created) == ("annual_plan", 2, True)
    assert [r.created for r in _deploy(world, _version_2(tmp_path))] == [False]
    with world.sessions() as session:
        [deployed] = session.scalars(select(AuditEvent).order_by(AuditEvent.id).offset(events_before)).all()
        assert (deployed.action, deployed.detail["version"]) == ("process.deployed", 2)
    new_case = _start(world, plan_data)
    assert _act(world, old_case, "xh_sg").name == OLD_NAME
    assert _act(world, new_case, "xh_sg").name == NEW_NAME
    _finish(world, old_case)
    _finish(world, new_case)
    with world.sessions() as session:
        old, new = session.get(Case, old_case), session.get(Case, new_case)
        assert (old.status, old.definition.version) == ("completed", 1)
        assert (new.status, new.definition.version) == ("completed", 2)
        assert audit.verify_chain(session).ok


def _finish(world: World, case_id: int) -> None:
    for step in REVIEW_STEPS[1:]:
        _act(world, case_id, *actor(step))


def test_versions_are_immutable_rows(world: World, tmp_path: Path) -> None:
    _deploy(world, _version_2(tmp_path))
    with world.sessions() as session:
        rows = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == "annual_plan")
                               .order_by(ProcessDefinition.version)).all()
        assert [r.version for r in rows] == [1, 2]
        assert OLD_NAME in rows[0].bpmn_xml and NEW_NAME in rows[1].bpmn_xml
        assert rows[0].content_hash != rows[1].content_hash
        assert deployment.latest_definition(session, "annual_plan").version == 2

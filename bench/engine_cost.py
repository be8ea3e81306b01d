"""Completing one review: bare SpiffWorkflow against Baguan's full engine operation."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import operations as cases
from engine.identity import accounts as identity
from engine.runtime import deploy as deployment
from engine.runtime.models import HumanTask

ROOT = Path(__file__).resolve().parent.parent
PLAN = {
    "plan_year": 2027, "guiding_principles": "坚持正确政治方向。", "last_year_review": "完成 12 项重点工作。",
    "key_tasks": [{"category": "学术交流", "name": "学术年会", "month": 10, "budget": 80000}],
    "income_total": 500000, "expense_total": 480000, "party_building_plan": "主题党日 4 次。",
}


def _bare_blob() -> tuple[BpmnWorkflowSerializer, str]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_file(str(ROOT / "workflows" / "annual_plan.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("annual_plan"), parser.get_subprocess_specs("annual_plan"))
    workflow.do_engine_steps()
    [draft] = workflow.get_tasks(state=TaskState.READY, manual=True)
    draft.set_data(**PLAN)
    draft.run()
    workflow.do_engine_steps()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    return serializer, serializer.serialize_json(workflow)


def measure_bare_spiff(iterations: int) -> list[float]:
    """Load → complete the secretary-general review → serialise, with nothing else around it."""
    serializer, blob = _bare_blob()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        workflow = serializer.deserialize_json(blob)
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(sg_compliance_checked=True)
        task.run()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
        samples.append(time.perf_counter() - start)
    return samples


def seed(session: Session) -> None:
    """The supervisor, one society with a clerk and a secretary-general, and the process library."""
    identity.add_org(session, "TAST", "天津市科学技术协会", "supervisor")
    identity.add_org(session, "XH", "基准测试学会", "society", "TAST")
    for username, role in (("b_staff", "staff"), ("b_sg", "secretary_general")):
        identity.add_user(session, username, username, "bench-password")
        identity.grant_role(session, username, role, "XH")
    deployment.deploy(session, *deployment.read_sources([ROOT / "workflows", ROOT / "forms"]))


def open_cases(sessions: sessionmaker[Session], count: int) -> list[int]:
    """File ``count`` plans; the ids of every task waiting for the secretary-general, oldest first."""
    with sessions() as session, session.begin():
        staff = identity.get_user(session, "b_staff")
        org = identity.get_org(session, "XH")
        for n in range(count):
            cases.start_case(session, staff, "annual_plan", org, f"基准计划 {n}", dict(PLAN))
    with sessions() as session:
        return list(session.scalars(select(HumanTask.id)
                                    .where(HumanTask.status == "open", HumanTask.bpmn_id == "sg_review")
                                    .order_by(HumanTask.id)))


def measure_baguan_complete(sessions: sessionmaker[Session], iterations: int) -> list[float]:
    """complete_task (lock, load, run, save, projection, audit) plus the commit, one fresh session each."""
    with sessions() as session, session.begin():
        seed(session)
    return time_completions(sessions, open_cases(sessions, iterations))


def time_completions(sessions: sessionmaker[Session], task_ids: list[int]) -> list[float]:
    """Time the secretary-general approving each task (from :func:`open_cases`, after :func:`seed`)."""
    samples = []
    for task_id in task_ids:
        with sessions() as session:
            user: Any = identity.get_user(session, "b_sg")
            start = time.perf_counter()
            cases.complete_task(session, user, task_id, "approve", "", {"sg_compliance_checked": True})
            session.commit()
        samples.append(time.perf_counter() - start)
    return samples

"""When a linked case counts as filed (备案): finished, or — for a process that declares ``filedAfter``
(e.g. 学术活动: ``sg_review,party_review,publicity_review``) — approved at each of those entry gates since
its latest submission. A 活动预告 may then be published before the event itself has taken place."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runtime.deploy import specs_for
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import CaseStatus, Decision, TaskKind, TaskStatus


def entry_gates(case: Case) -> list[str]:
    return [s.strip() for s in str((case.definition.properties or {}).get("filedAfter") or "").split(",")
            if s.strip()]


def gates_missing(session: Session, case: Case) -> list[str]:
    """The entry gates of ``case`` not (or no longer) approved since its latest submission, by step name;
    empty when the case counts as filed."""
    if case.status == CaseStatus.COMPLETED:
        return []
    gates = entry_gates(case)
    if case.status != CaseStatus.RUNNING:
        return [_step_name(case, g) for g in gates]
    rows = session.execute(select(HumanTask.id, HumanTask.bpmn_id, HumanTask.kind, HumanTask.status,
                                  HumanTask.decision).where(HumanTask.case_id == case.id)
                           .order_by(HumanTask.id)).all()
    drafts = [r for r in rows if r.kind == TaskKind.DRAFT]
    if any(r.status == TaskStatus.OPEN for r in drafts):
        return [_step_name(case, g) for g in gates]
    submitted = max((r.id for r in drafts), default=0)
    latest = {r.bpmn_id: r for r in rows}
    return [_step_name(case, g) for g in gates
            if g not in latest or latest[g].id < submitted or latest[g].status != TaskStatus.COMPLETED
            or latest[g].decision != Decision.APPROVE]


def _step_name(case: Case, step: str) -> str:
    spec = specs_for(case.definition)[0].task_specs.get(step)
    return str(getattr(spec, "bpmn_name", None) or step)

"""Small read-side helpers the JSON API needs on top of engine.queries. They never deserialize a workflow."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import AccessDenied, NotFound
from engine.identity.access import visible_org_ids
from engine.identity.models import Organisation, User
from engine.runtime.deploy import latest_definition, specs_for
from engine.runtime.models import Case, HumanTask, ProcessDefinition
from engine.runtime.specs import task_properties


def visible_org(session: Session, user: User, code: str) -> Organisation:
    """The organisation ``code`` if the user may see it; unknown and foreign codes answer alike."""
    org = session.scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    if org is None or org.id not in visible_org_ids(session, user):
        raise AccessDenied("组织不存在或您无权访问", {"org": code[:64]},
                           fields={"org": f"组织 {code[:64]} 不存在或您无权访问"})
    return org


def process_definition(session: Session, key: str) -> ProcessDefinition:
    """The latest version of process ``key`` (NotFound when no such process was ever deployed)."""
    definition = latest_definition(session, key, required=False)
    if definition is None:
        raise NotFound(f"流程 {key} 不存在")
    return definition


def start_form(definition: ProcessDefinition) -> dict[str, Any] | None:
    """The JSON Schema of the process's drafting step (the data ``start_case`` expects), if it has one."""
    spec, subprocesses = specs_for(definition)
    for each in (spec, *subprocesses.values()):
        for task_spec in each.task_specs.values():
            props = task_properties(task_spec)
            if getattr(task_spec, "manual", False) and props.get("kind") == "draft":
                form_key = props.get("formKey")
                return definition.forms.get(form_key) if form_key else None
    return None


def current_or_last_task(session: Session, cases: list[Case]) -> dict[int, HumanTask]:
    """For each case, the task it waits at (its first open task) or, once finished, its last task."""
    if not cases:
        return {}
    rows = session.scalars(select(HumanTask).where(HumanTask.case_id.in_([c.id for c in cases]))
                           .order_by(HumanTask.id))
    chosen: dict[int, HumanTask] = {}
    for row in rows:
        current = chosen.get(row.case_id)
        if current is None or current.status != "open":
            chosen[row.case_id] = row
    return chosen

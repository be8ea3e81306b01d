"""会签 / 或签 / 票签: multi-person steps set in the diagram as parallel multi-instance user tasks.

The diagram names the input collection (one instance per signer), the output item (each signer's vote:
1 for 同意, 0 against) and, for 或签 and 票签, a completion condition such as ``vote == 1`` (或签) or
``votes_for >= 2 or votes_against >= 2`` (票签, 2 of 3).
The engine fills the collection with the holders of the lane's role when the case starts, assigns each
instance to its signer, and records the vote. A user-task property ``signMode=vote`` makes 不同意 a vote
against (the diagram's gateway decides); otherwise 不同意 by any signer ends the case.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.task import Task
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.identity.models import Membership, Organisation, User
from engine.roles import resolve_role, task_scope_org_id
from engine.runtime.models import HumanTask
from engine.runtime.specs import task_properties


def is_multi_instance(spec: Any) -> bool:
    """A parallel multi-instance user task (会签/或签/票签)."""
    return getattr(spec, "data_input", None) is not None and getattr(spec, "input_item", None) is not None


def signer_lists(session: Session, specs: tuple[Any, dict[str, Any]], org: Organisation,
                 submitter: User) -> dict[str, list[str]]:
    """For each multi-person step: the usernames of the holders of its lane's role (never the submitter)."""
    spec, subprocesses = specs
    result: dict[str, list[str]] = {}
    for each in (spec, *subprocesses.values()):
        for task_spec in each.task_specs.values():
            role = resolve_role(step_lane(each, task_spec)) if is_multi_instance(task_spec) else None
            if role is not None:
                scope = task_scope_org_id(org, role.code)
                names = session.scalars(select(User.username).join(Membership, Membership.user_id == User.id).where(
                    Membership.role == role.code, Membership.org_id == scope, User.active.is_(True),
                    User.id != submitter.id).order_by(User.username))
                result[task_spec.data_input.bpmn_id] = list(names)
    return result


def step_lane(process: Any, spec: Any) -> str | None:
    """The lane of a step; for a multi-instance wrapper it sits on the instance spec (``name [child]``)."""
    child = process.task_specs.get(getattr(spec, "task_spec", None) or "") if is_multi_instance(spec) else None
    return spec.lane or (child.lane if child is not None else None)


def instance_parent(task: Task) -> Any | None:
    """The multi-instance spec when ``task`` is one signer's instance."""
    parent = task.parent
    return parent.task_spec if parent is not None and is_multi_instance(parent.task_spec) else None


def is_mi_parent(task: Task) -> bool:
    return is_multi_instance(task.task_spec)


def signer_of(task: Task) -> str | None:
    spec = instance_parent(task)
    value = task.data.get(spec.input_item.bpmn_id) if spec is not None else None
    return value if isinstance(value, str) else None


def assign_instances(session: Session, rows: list[HumanTask], ready: dict[str, Task]) -> None:
    """Give each new signer instance to its signer by name."""
    wanted = {row.id: signer_of(ready[row.spiff_task_id]) for row in rows if row.spiff_task_id in ready}
    names = {n for n in wanted.values() if n}
    if not names:
        return
    ids = dict(session.execute(select(User.username, User.id).where(User.username.in_(names))).tuples().all())
    for row in rows:
        name = wanted.get(row.id)
        if name and name in ids:
            row.assignee_id = ids[name]


def vote_data(task: Task, approve: bool) -> dict[str, Any]:
    """What a signer's decision writes: the output item (1 for, 0 against) and the running tally
    ``votes_for`` / ``votes_against`` / ``signers_total``, which completion conditions and gateways read
    (SpiffWorkflow evaluates a completion condition on the instance that just finished)."""
    spec = instance_parent(task)
    if spec is None or getattr(spec, "output_item", None) is None:
        return {}
    outputs = task.parent.data.get(spec.data_output.bpmn_id) if spec.data_output is not None else None
    values = list(outputs.values() if isinstance(outputs, dict) else outputs or [])
    total = len(task.parent.data.get(spec.data_input.bpmn_id) or [])
    return {spec.output_item.bpmn_id: 1 if approve else 0, "signers_total": total,
            "votes_for": values.count(1) + (1 if approve else 0),
            "votes_against": values.count(0) + (0 if approve else 1)}


def is_vote(task: Task) -> bool:
    """票签: 不同意 is a vote against, not the end of the case."""
    props = task_properties(task.task_spec)
    return instance_parent(task) is not None and str(props.get("signMode", "")).lower() == "vote"

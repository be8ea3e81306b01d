"""流程进度: a case's route as one list — the steps done, the step(s) being handled, and the steps still to come.

Done and current steps come from the human_task projection (and the audit log for 代理). The steps still to come
are read from the deployed diagram: from each current step, follow the sequence flows forward (ignoring flows that
loop back to earlier steps), resolve an exclusive gateway from the case data when its conditions can already be
evaluated, and otherwise keep every branch and mark the steps behind it as conditional (视条件而定).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.notify import eligible_users
from engine.errors import BaguanError
from engine.identity.models import Membership, User
from engine.journal import AuditEvent
from engine.library.multisign import is_multi_instance, step_lane
from engine.roles import resolve_role, task_scope_org_id
from engine.runtime.deploy import specs_for
from engine.runtime.models import Case, HumanTask
from engine.runtime.sandbox import evaluate


class RouteState(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


class SignMode(StrEnum):
    SINGLE = "single"  # one named person
    ANY = "any"        # 或签: any one holder of the role
    ALL = "all"        # 会签: each named signer acts


@dataclass(frozen=True)
class RouteStep:
    """One node of the route as a reviewer reads it."""

    state: RouteState
    bpmn_id: str
    name: str
    role: str
    people: tuple[str, ...] = ()
    decision: str | None = None
    comment: str = ""
    at: datetime | None = None
    due_at: datetime | None = None
    on_behalf_of: str | None = None
    sign_mode: SignMode = SignMode.SINGLE
    conditional: bool = False
    form_key: str | None = None
    submitted: dict[str, Any] = field(default_factory=dict)


def case_route(session: Session, case: Case) -> list[RouteStep]:
    """The whole route of ``case``, in order: done steps, current steps, then the steps still to come."""
    tasks = list(session.scalars(select(HumanTask).where(HumanTask.case_id == case.id).order_by(HumanTask.id)))
    done = _done_steps(session, case, tasks)
    open_rows = [t for t in tasks if t.status == "open"]
    current = _current_steps(session, open_rows)
    upcoming = _upcoming_steps(session, case, open_rows) if case.status == "running" and open_rows else []
    return done + current + upcoming


def _done_steps(session: Session, case: Case, tasks: list[HumanTask]) -> list[RouteStep]:
    acting_for = _acting_for(session, case)
    finished = sorted((t for t in tasks if t.status == "completed" and t.completed_at is not None),
                      key=lambda t: (t.completed_at, t.id))
    return [RouteStep(RouteState.DONE, t.bpmn_id, t.name, t.role,
                      people=(t.completer.name,) if t.completer else (), decision=t.decision, comment=t.comment or "",
                      at=t.completed_at, on_behalf_of=acting_for.get(t.id), form_key=t.form_key,
                      submitted=dict(t.submitted or {}))
            for t in finished]


def _acting_for(session: Session, case: Case) -> dict[int, str]:
    """task id → the name of the person a proxy (代理人) completed it for."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                      AuditEvent.action == "task.completed"))
    result: dict[int, str] = {}
    for event in events:
        detail = event.detail or {}
        if detail.get("on_behalf_of_name") and isinstance(detail.get("task_id"), int):
            result[detail["task_id"]] = str(detail["on_behalf_of_name"])
    return result


def _current_steps(session: Session, open_rows: list[HumanTask]) -> list[RouteStep]:
    """One node per open step; the instances of a 会签 step are gathered into one node with every signer."""
    groups: dict[str, list[HumanTask]] = {}
    for row in open_rows:
        groups.setdefault(row.bpmn_id, []).append(row)
    steps = []
    for rows in groups.values():
        people = tuple(dict.fromkeys(p.name for row in rows for p in eligible_users(session, row)))
        mode = SignMode.ALL if len(rows) > 1 else (SignMode.ANY if len(people) > 1 else SignMode.SINGLE)
        dues = [r.due_at for r in rows if r.due_at is not None]
        first = rows[0]
        steps.append(RouteStep(RouteState.CURRENT, first.bpmn_id, first.name, first.role, people=people,
                               at=min(r.created_at for r in rows), due_at=min(dues) if dues else None,
                               sign_mode=mode, form_key=first.form_key))
    return steps


def _upcoming_steps(session: Session, case: Case, open_rows: list[HumanTask]) -> list[RouteStep]:
    spec, subprocesses = specs_for(case.definition)
    current_ids = {row.bpmn_id for row in open_rows}
    process = next((p for p in (spec, *subprocesses.values()) if _by_bpmn_id(p, current_ids)), None)
    if process is None:
        return []
    graph = ForwardGraph(process, dict(case.data or {}))
    starts = _by_bpmn_id(process, current_ids)
    return [_upcoming(session, case, process, node, conditional)
            for node, conditional in graph.ahead(starts) if node.bpmn_id not in current_ids]


def _upcoming(session: Session, case: Case, process: Any, node: Any, conditional: bool) -> RouteStep:
    role = resolve_role(step_lane(process, node))
    code = role.code if role else "admin"
    props = _properties(process, node)
    kind = props.get("kind", "review")
    return RouteStep(RouteState.UPCOMING, node.bpmn_id, node.bpmn_name or node.bpmn_id, code,
                     people=(case.creator.name,) if kind == "draft" else tuple(_holders(session, case, code, kind)),
                     conditional=conditional, form_key=props.get("formKey"),
                     sign_mode=SignMode.ALL if is_multi_instance(node) else SignMode.ANY)


def _holders(session: Session, case: Case, role: str, kind: str) -> list[str]:
    """Who will be offered the step: the role's holders in its scope (nobody reviews their own case)."""
    scope = task_scope_org_id(case.org, role)
    stmt = select(User.name).join(Membership, Membership.user_id == User.id).where(
        Membership.role == role, Membership.org_id == scope, User.active.is_(True))
    if kind == "review":
        stmt = stmt.where(User.id != case.created_by)
    names = session.scalars(stmt.order_by(User.username))
    return list(dict.fromkeys(names))


def _by_bpmn_id(process: Any, ids: set[str]) -> list[Any]:
    """The graph nodes for ``ids`` (for a multi-instance step, the wrapper that carries the outgoing flows)."""
    found: dict[str, Any] = {}
    for spec in process.task_specs.values():
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id in ids and (bpmn_id not in found or spec.outputs):
            found[bpmn_id] = spec
    return list(found.values())


def _child(process: Any, spec: Any) -> Any | None:
    return process.task_specs.get(getattr(spec, "task_spec", None) or "") if is_multi_instance(spec) else None


def _properties(process: Any, spec: Any) -> dict[str, str]:
    for each in (spec, _child(process, spec)):
        props = (getattr(each, "extensions", None) or {}).get("properties") if each is not None else None
        if props:
            return dict(props)
    return {}


def is_human(process: Any, spec: Any) -> bool:
    """A user task, or a multi-instance wrapper around one (会签)."""
    child = _child(process, spec)
    return bool(getattr(spec, "manual", False) or (child is not None and getattr(child, "manual", False)))


class ForwardGraph:
    """The diagram's flows without the ones that loop back, with gateways resolved where the data decides."""

    def __init__(self, process: Any, data: dict[str, Any]) -> None:
        self.process = process
        self.data = data
        self.order: dict[str, int] = {}
        self.back: set[tuple[str, str]] = set()
        self._number(process.start)

    def _number(self, start: Any) -> None:
        """Depth-first from the start: flows into a node still on the stack are back edges (loops)."""
        on_stack: set[str] = set()
        finished: list[str] = []
        stack: list[tuple[Any, Iterable[Any]]] = [(start, iter(start.outputs))]
        on_stack.add(start.name)
        seen = {start.name}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_stack.discard(node.name)
                finished.append(node.name)
            elif child.name in on_stack:
                self.back.add((node.name, child.name))
            elif child.name not in seen:
                seen.add(child.name)
                on_stack.add(child.name)
                stack.append((child, iter(child.outputs)))
        self.order = {name: i for i, name in enumerate(reversed(finished))}

    def outputs(self, node: Any) -> list[Any]:
        forward = [o for o in node.outputs if (node.name, o.name) not in self.back]
        taken = self._decided(node)
        return forward if taken is None else [o for o in forward if o.name in taken]

    def _decided(self, node: Any) -> set[str] | None:
        """The branch names an exclusive gateway takes, when the case data already decides it; else None."""
        conditions = getattr(node, "cond_task_specs", None)
        if not conditions or len(node.outputs) < 2 or _is_parallel(node):
            return None
        default = getattr(node, "default_task_spec", None)
        try:
            for condition, target in conditions:
                if condition is not None and evaluate(condition.args[0], dict(self.data)):
                    return {target}
        except BaguanError:  # a name the case has not set yet: the branch is still open
            return None
        return {default} if default else None

    def is_choice(self, node: Any) -> bool:
        return len(self.outputs(node)) > 1 and not _is_parallel(node)

    def ahead(self, starts: list[Any]) -> list[tuple[Any, bool]]:
        """The human steps reachable from ``starts`` in diagram order, each with whether a gateway decides it."""
        reach: dict[str, Any] = {}
        pending = [o for s in starts for o in self.outputs(s)]
        while pending:
            node = pending.pop()
            if node.name not in reach:
                reach[node.name] = node
                pending.extend(self.outputs(node))
        steps = [n for n in reach.values() if is_human(self.process, n)]
        steps.sort(key=lambda n: self.order.get(n.name, 0))
        return [(n, not self._certain(starts, n)) for n in steps]

    def _certain(self, starts: list[Any], target: Any) -> bool:
        """Every way from the current steps to an end passes ``target``."""
        memo: dict[str, bool] = {}

        def avoids(node: Any) -> bool:
            if node.name == target.name:
                return False
            if node.name not in memo:
                memo[node.name] = True  # guards the recursion; the forward graph has no loops
                children = self.outputs(node)
                if not children:
                    memo[node.name] = True
                elif self.is_choice(node):
                    memo[node.name] = any(avoids(c) for c in children)
                else:
                    memo[node.name] = all(avoids(c) for c in children)
            return memo[node.name]

        return not all(avoids(c) for s in starts for c in self.outputs(s))


def _is_parallel(node: Any) -> bool:
    """Gateways and boundary-event wrappers whose outgoing branches all run."""
    kind = type(node).__name__
    return "Parallel" in kind or "BoundaryEvent" in kind

"""Turning engine objects into the API's JSON shapes (documented in openapi.py, checked by the tests)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.identity.models import Organisation, User
from engine.journal import AuditEvent
from engine.roles import role_label
from engine.runtime.models import Case, HumanTask, ProcessDefinition

JSON = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a trailing Z (stored timestamps are naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def user_ref(user: User | None) -> JSON | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "name": user.name}


def process_summary(definition: ProcessDefinition, orgs: list[Organisation]) -> JSON:
    return {"key": definition.key, "name": definition.name, "version": definition.version,
            "orgs": [o.code for o in orgs]}


def process_detail(definition: ProcessDefinition, orgs: list[Organisation], form: JSON | None) -> JSON:
    return {**process_summary(definition, orgs), "start_form": form}


def case_task(task: HumanTask) -> JSON:
    return {"id": task.id, "name": task.name, "role": task.role, "role_name": role_label(task.role),
            "step": task.bpmn_id, "kind": task.kind, "status": task.status, "created_at": iso(task.created_at),
            "due_at": iso(task.due_at), "completed_at": iso(task.completed_at), "decision": task.decision,
            "comment": task.comment, "completed_by": user_ref(task.completer)}


def case_detail(case: Case, tasks: list[HumanTask], data: JSON | None = None) -> JSON:
    """``data``: the case data as the reader may see it (confidential fields masked); default the stored data."""
    return {"id": case.id, "number": case.number, "process": case.process_key, "process_name": case.definition.name,
            "version": case.definition.version, "org": case.org.code, "org_name": case.org.name,
            "title": case.title, "status": case.status, "data": case.data if data is None else data,
            "submitter": user_ref(case.creator),
            "created_at": iso(case.created_at), "updated_at": iso(case.updated_at),
            "finished_at": iso(case.finished_at), "tasks": [case_task(t) for t in tasks]}


def task_item(task: HumanTask) -> JSON:
    case = task.case
    return {"id": task.id, "case_id": case.id, "case_number": case.number, "case_title": case.title,
            "case_status": case.status, "process": case.process_key, "name": task.name, "step": task.bpmn_id,
            "kind": task.kind, "role": task.role, "role_name": role_label(task.role), "org": case.org.code,
            "org_name": case.org.name, "status": task.status, "created_at": iso(task.created_at),
            "due_at": iso(task.due_at), "completed_at": iso(task.completed_at), "decision": task.decision}


def task_detail(task: HumanTask, form: JSON | None, decisions: list[str]) -> JSON:
    return {**task_item(task), "comment": task.comment, "completed_by": user_ref(task.completer),
            "form": form, "decisions": decisions}


def task_page(items: list[JSON], total: int, limit: int, offset: int) -> JSON:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def audit_event(event: AuditEvent, detail: JSON | None = None) -> JSON:
    """``detail``: the event's detail as the reader may see it (confidential fields masked); default as stored."""
    return {"id": event.id, "at": iso(event.occurred_at), "action": event.action, "actor": event.actor_name,
            "actor_id": event.actor_id, "detail": event.detail if detail is None else detail,
            "prev_hash": event.prev_hash, "hash": event.hash}


def case_copy(copy: Any) -> JSON:
    case = copy.case
    return {"case_id": case.id, "case_number": case.number, "case_title": case.title, "case_status": case.status,
            "process": case.process_key, "org": case.org.code, "org_name": case.org.name,
            "copied_by": user_ref(copy.sender), "note": copy.note, "created_at": iso(copy.created_at),
            "read_at": iso(copy.read_at)}


def return_target(option: Any) -> JSON:
    return {"step": option.step, "name": option.name, "political": option.political, "drafting": option.draft}


def notification(entry: Any) -> JSON:
    return {"id": entry.id, "kind": entry.kind, "message": entry.message, "case_id": entry.case_id,
            "created_at": iso(entry.created_at), "read_at": iso(entry.read_at)}

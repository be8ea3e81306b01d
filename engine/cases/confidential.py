"""Confidential case-data fields: a form field that says who may read it, e.g. the objector of a 公示 objection.

A field declares ``"x-confidential": ["secretary_general", "supervisor"]`` in its form (JSON Schema): only holders
of those roles in the case's society (the people who handle the objection) and auditors read its value; everyone
else sees ``MASK`` wherever the value would show — the case data, a step's submitted form and the history's
before/after values (API, case and task pages, print). The stored data and the audit chain are unchanged: the
auditors' dossier keeps every value (it is downloaded only by auditors and 监事).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine.identity.access import holds
from engine.identity.models import User
from engine.roles import task_scope_org_id
from engine.runtime.models import Case, ProcessDefinition

MASK = "（保密，仅异议处理人员和审计人员可见）"
MARK = "x-confidential"
AUDITOR = "auditor"


def confidential_fields(definition: ProcessDefinition) -> dict[str, frozenset[str]]:
    """Field name → the roles that may read it, over every form of the process version."""
    found: dict[str, frozenset[str]] = {}
    for schema in (definition.forms or {}).values():
        for name, prop in ((schema or {}).get("properties") or {}).items():
            roles = prop.get(MARK) if isinstance(prop, dict) else None
            if isinstance(roles, list):
                found[name] = found.get(name, frozenset()) | frozenset(str(r) for r in roles)
    return found


def hidden_fields(session: Session, user: User, case: Case) -> frozenset[str]:
    """The confidential fields of ``case`` that ``user`` may not read."""
    fields = confidential_fields(case.definition)
    if not fields or any(holds(user, AUDITOR, o) for o in (case.org_id, case.org.parent_id) if o is not None):
        return frozenset()
    return frozenset(name for name, roles in fields.items()
                     if not any(holds(user, role, task_scope_org_id(case.org, role)) for role in roles))


def redact(data: Any, hidden: frozenset[str]) -> Any:
    """``data`` with the value of each hidden field replaced by ``MASK`` (empty values stay empty)."""
    if not hidden or not isinstance(data, dict):
        return data
    return {k: (MASK if k in hidden and v not in (None, "") else v) for k, v in data.items()}


def redact_detail(detail: Any, hidden: frozenset[str]) -> Any:
    """An audit event's detail as shown to the reader: hidden fields masked in its data and before/after values."""
    if not hidden or not isinstance(detail, dict):
        return detail
    shown = dict(detail)
    for key in ("data", "submitted"):
        if isinstance(shown.get(key), dict):
            shown[key] = redact(shown[key], hidden)
    changed = shown.get("changed")
    if isinstance(changed, dict):
        shown["changed"] = {k: (redact(v, frozenset({"before", "after"})) if k in hidden else v)
                            for k, v in changed.items()}
    return shown

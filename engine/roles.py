"""The roles a user can hold in an organisation, and where each role is held."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol


class RoleScope(str, Enum):
    SOCIETY = "society"
    SUPERVISOR = "supervisor"
    ANY = "any"


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    scope: RoleScope


ROLES: dict[str, Role] = {
    r.code: r
    for r in (
        Role("staff", "经办人", RoleScope.SOCIETY),
        Role("secretary_general", "秘书长", RoleScope.SOCIETY),
        Role("party_secretary", "党组织书记", RoleScope.SOCIETY),
        Role("president", "理事长", RoleScope.SOCIETY),
        Role("finance", "财务", RoleScope.SOCIETY),
        Role("supervisor", "监事", RoleScope.SOCIETY),
        Role("foreign_affairs", "外事审核", RoleScope.ANY),
        Role("cast_reviewer", "市科协学会部", RoleScope.SUPERVISOR),
        Role("cast_party", "市科协科技社团党委", RoleScope.SUPERVISOR),
        Role("admin", "管理员", RoleScope.ANY),
        Role("auditor", "审计员", RoleScope.ANY),
    )
}

_BY_LABEL = {r.label: r for r in ROLES.values()}


def resolve_role(name: str | None) -> Role | None:
    """Map a lane name (role code or its Chinese label, e.g. "秘书长") to a role."""
    if not name:
        return None
    name = name.strip()
    return ROLES.get(name) or _BY_LABEL.get(name)


def role_label(code: str) -> str:
    role = ROLES.get(code)
    return role.label if role else code


def is_supervisor_role(code: str) -> bool:
    """Tasks for these roles are offered to holders in the supervising 科协, not in the society."""
    role = ROLES.get(code)
    return role is not None and role.scope is RoleScope.SUPERVISOR


class ScopedOrganisation(Protocol):
    id: int
    parent_id: int | None


def task_scope_org_id(org: ScopedOrganisation, role: str) -> int:
    """The organisation whose members are offered a task of ``role`` in a case of ``org``."""
    if is_supervisor_role(role) and org.parent_id is not None:
        return org.parent_id
    return org.id


OVERSIGHT_ROLES = frozenset({"admin", "auditor"})
"""Roles that never decide, sign or stand in for a step: they administer and audit."""

REVIEWER_ROLES = frozenset({"secretary_general", "party_secretary", "president", "finance", "foreign_affairs"})
"""Roles held in a society whose holders review its cases: the people a step may be 加签 to."""

"""The process catalogue: enable or disable a process, and choose the societies that may start it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.db import utcnow
from engine.errors import NotFound
from engine.identity.models import Organisation, User
from engine.library.models import ProcessSetting
from engine.runtime.deploy import latest_definition, latest_definitions
from engine.runtime.models import ProcessDefinition


@dataclass(frozen=True)
class CatalogueEntry:
    definition: ProcessDefinition
    enabled: bool
    starter_orgs: list[Organisation] | None


def setting(session: Session, key: str) -> ProcessSetting | None:
    return session.get(ProcessSetting, key)


def may_start(session: Session, key: str, org_id: int) -> bool:
    """Enabled, and ``org_id`` is among the allowed societies (no list means every society)."""
    found = setting(session, key)
    if found is None:
        return True
    return found.enabled and (found.starter_org_ids is None or org_id in found.starter_org_ids)


def entries(session: Session) -> list[CatalogueEntry]:
    orgs = {o.id: o for o in session.scalars(select(Organisation))}
    result = []
    for definition in latest_definitions(session):
        found = setting(session, definition.key)
        allowed = None if found is None or found.starter_org_ids is None else [
            orgs[i] for i in found.starter_org_ids if i in orgs]
        result.append(CatalogueEntry(definition, found.enabled if found else True, allowed))
    return result


def update(session: Session, actor: User, key: str, enabled: bool, starter_codes: list[str] | None) -> ProcessSetting:
    """Set both switches at once; audited as ``process.catalogue`` with the before and after values."""
    latest_definition(session, key)
    ids = None if starter_codes is None else _society_ids(session, starter_codes)
    found = setting(session, key) or ProcessSetting(key=key, enabled=True, starter_org_ids=None)
    before = {"enabled": found.enabled, "starters": found.starter_org_ids}
    found.enabled, found.starter_org_ids, found.updated_by, found.updated_at = enabled, ids, actor.id, utcnow()
    session.add(found)
    session.flush()
    audit.record(session, "process.catalogue", actor=actor, process=key, before=before,
                 after={"enabled": enabled, "starters": ids}, starter_codes=starter_codes)
    return found


def _society_ids(session: Session, codes: list[str]) -> list[int]:
    ids = []
    for code in codes:
        org = session.scalar(select(Organisation).where(Organisation.code == code.strip().upper(),
                                                        Organisation.kind == "society"))
        if org is None:
            raise NotFound(f"学会 {code} 不存在")
        ids.append(org.id)
    return sorted(set(ids))

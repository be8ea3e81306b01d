"""暂存 on the 发起 form: one saved draft (title, society, form data) per user and process, reloaded by the start
page and dropped once the case is filed. A draft obeys the limits of a submission, only not its completeness."""
from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases import queries as queries
from engine.cases.api_views import start_form
from engine.cases.draft_limits import check_draft
from engine.cases.models import StartDraft
from engine.db import utcnow
from engine.errors import InvalidData, NotFound
from engine.identity.models import User
from engine.runtime.models import ProcessDefinition
from engine.vocabulary import AuditAction

MAX_TITLE = 200


def _check_title(title: str | None) -> str:
    text = (title or "").strip()
    if len(text) > MAX_TITLE or "\x00" in text:
        raise InvalidData("标题无效", {"title": f"标题不能超过 {MAX_TITLE} 字，且不能含控制字符"})
    return text


def startable_definition(session: Session, user: User, process_key: str,
                         org_id: int | None = None) -> ProcessDefinition:
    """The process ``user`` may file (for ``org_id`` when given); NotFound otherwise."""
    found = next(((d, orgs) for d, orgs in queries.startable_processes(session, user) if d.key == process_key), None)
    if found is None:
        raise NotFound("流程不存在，或您没有发起此流程的权限")
    definition, orgs = found
    if org_id is not None and org_id not in {o.id for o in orgs}:
        raise NotFound("所选学会不存在，或您不能以其名义发起此流程")
    return definition


def save_start_draft(session: Session, user: User, process_key: str, org_id: int | None, title: str | None,
                     data: Any) -> StartDraft:
    """Keep what was typed on the start form of ``process_key`` so far (the user must be able to file it)."""
    definition = startable_definition(session, user, process_key, org_id)
    text = _check_title(title)
    check_draft(start_form(definition), data, None)
    draft = session.get(StartDraft, (user.id, process_key)) or StartDraft(user_id=user.id, process_key=process_key)
    draft.org_id, draft.title, draft.data, draft.saved_at = org_id, text, dict(data), utcnow()
    session.add(draft)
    session.flush()
    audit.record(session, AuditAction.CASE_START_DRAFT_SAVED, actor=user, org_id=org_id, process_key=process_key)
    return draft


def start_draft_of(session: Session, user: User, process_key: str) -> StartDraft | None:
    return session.get(StartDraft, (user.id, process_key))


def discard_start_draft(session: Session, user: User, process_key: str) -> None:
    """Drop the user's saved start draft of ``process_key`` (once the case is filed)."""
    session.execute(delete(StartDraft).where(StartDraft.user_id == user.id, StartDraft.process_key == process_key))

"""Template filters and globals for the Chinese UI: local times, waiting times and labels."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine.cases import queries as queries
from engine.db import utcnow
from engine.identity.models import User
from engine.roles import role_label
from engine.runtime.models import Case
from engine.vocabulary import AuditAction, CaseStatus, Decision, TaskStatus

from . import formrender
from .extensions import db_session

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored naive-UTC time as Beijing time, e.g. ``2026-11-26 14:03``."""
    if value is None:
        return "—"
    return value.replace(tzinfo=timezone.utc).astimezone(LOCAL_ZONE).strftime(fmt)


def local_date(value: datetime | None) -> str:
    return local_time(value, "%Y-%m-%d")


def duration(since: datetime | None, until: datetime | None = None) -> str:
    """Elapsed time in Chinese at the two largest units: ``2 天 3 小时``, ``5 小时 12 分钟``, ``8 分钟``."""
    if since is None:
        return "—"
    minutes = max(0, int(((until or utcnow()) - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时" if hours else f"{days} 天"
    if hours:
        return f"{hours} 小时 {mins} 分钟" if mins else f"{hours} 小时"
    return f"{mins} 分钟" if mins else "不到 1 分钟"


def is_overdue(due_at: datetime | None, now: datetime | None = None) -> bool:
    return due_at is not None and due_at < (now or utcnow())


def status_label(case: Case) -> str:
    if case.status == "completed":
        return str((case.definition.properties or {}).get("completedLabel") or CaseStatus.COMPLETED.label)
    return CaseStatus.label_of(case.status)


def decision_label(decision: str | None) -> str:
    return Decision.label_of(decision) if decision else "—"


def audit_label(action: str, detail: dict[str, Any] | None = None) -> str:
    if action == "task.completed" and detail and detail.get("decision"):
        return decision_label(str(detail["decision"]))
    return AuditAction.label_of(action)


def user_roles(user: User) -> str:
    """``天津市测试学会 秘书长``; several memberships are joined with 、."""
    return "、".join(f"{m.org.name} {role_label(m.role)}" for m in sorted(user.memberships, key=lambda m: m.id))


def todo_count() -> int | None:
    """The 待办 badge; a page must still render when the database cannot answer (e.g. on the error page)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    try:
        return queries.todo_count(db_session(), current_user)  # type: ignore[arg-type]
    except SQLAlchemyError:
        db_session().rollback()
        return None


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        localtime=local_time, localdate=local_date, duration=duration, status_label=status_label,
        decision_label=decision_label, role_label=role_label, audit_label=audit_label,
        task_status_label=TaskStatus.label_of, display=formrender.display_text,
    )
    app.jinja_env.globals.update(
        is_overdue=is_overdue, user_roles=user_roles, todo_count=todo_count,
        form_fields=formrender.render_form, form_readonly=formrender.render_readonly,
        form_value=formrender.render_value, error_summary=formrender.error_summary,
        reference_lists=formrender.reference_lists,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

"""Template filters and globals for the Chinese UI: local times, waiting times and labels."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine.cases import queries as queries
from engine.cases.operations import DECISION_LABELS
from engine.db import utcnow
from engine.runtime.models import Case
from engine.identity.models import User
from engine.roles import role_label

from . import formrender
from .extensions import db_session

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
STATUS_LABELS = {"running": "审批中", "completed": "已办结", "rejected": "已驳回", "withdrawn": "已撤回"}
TASK_STATUS_LABELS = {"open": "待处理", "completed": "已处理", "cancelled": "已取消"}
AUDIT_LABELS = {
    "case.started": "发起", "task.completed": "处理", "case.completed": "办结", "access.denied": "访问被拒",
    "login.succeeded": "登录", "login.failed": "登录失败", "login.throttled": "登录受限",
    "process.deployed": "部署流程", "org.created": "新建组织", "user.created": "新建用户",
    "role.granted": "授予角色", "token.created": "创建令牌",
    "case.recalled": "撤回", "case.withdrawn": "撤销", "case.copied": "抄送", "case.copy_read": "已阅",
    "case.urged": "催办", "task.transferred": "转办", "task.delegated": "委派", "task.delegate_resolved": "委派回复",
    "task.signer_added": "加签", "task.signer_removed": "减签", "task.signed": "签署同意",
    "task.signer_opinion": "加签意见", "task.draft_saved": "暂存",
    "attachment.added": "上传附件",
    "proxy.set": "设置代理人", "proxy.cleared": "取消代理", "task.batch_completed": "批量审批",
    "phrase.added": "保存常用语", "phrase.deleted": "删除常用语", "notification.email_set": "设置通知邮箱",
}


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
        return str((case.definition.properties or {}).get("completedLabel") or STATUS_LABELS["completed"])
    return STATUS_LABELS.get(case.status, case.status)


def decision_label(decision: str | None) -> str:
    return DECISION_LABELS.get(decision or "", decision or "—")


def audit_label(action: str, detail: dict[str, Any] | None = None) -> str:
    if action == "task.completed" and detail and detail.get("decision"):
        return decision_label(str(detail["decision"]))
    return AUDIT_LABELS.get(action, action)


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
        task_status_label=lambda s: TASK_STATUS_LABELS.get(s, s), display=formrender.display_text,
    )
    app.jinja_env.globals.update(
        is_overdue=is_overdue, user_roles=user_roles, todo_count=todo_count,
        form_fields=formrender.render_form, form_readonly=formrender.render_readonly,
        form_value=formrender.render_value, error_summary=formrender.error_summary,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

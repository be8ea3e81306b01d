"""The in-app notification centre: who is told what, and who may currently act on a task."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.models import Notification, NotificationSetting
from engine.db import utcnow
from engine.identity.models import Membership, User
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import TaskKind

MAX_MESSAGE = 500


def notify(session: Session, user_id: int, kind: str, message: str, case: Case | None = None) -> Notification:
    """Add a notification for ``user_id`` in the current transaction."""
    wants_mail = session.scalar(select(NotificationSetting.email).where(NotificationSetting.user_id == user_id))
    entry = Notification(user_id=user_id, case_id=case.id if case else None, kind=kind,
                         message=message[:MAX_MESSAGE], created_at=utcnow(),
                         email_status="pending" if wants_mail else None)
    session.add(entry)
    session.flush()
    return entry


def eligible_users(session: Session, row: HumanTask) -> list[User]:
    """The people who may act on an open task: its named assignee, or the holders of its role in its scope."""
    if row.assignee_id is not None:
        user = session.get(User, row.assignee_id)
        return [user] if user is not None and user.active else []
    stmt = (select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == row.role, Membership.org_id == row.scope_org_id, User.active.is_(True)))
    users = list(session.scalars(stmt))
    return [u for u in users if not (row.kind == "review" and u.id == row.submitter_id)]


def notifications(session: Session, user: User, limit: int = 50, offset: int = 0) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)
                                .order_by(Notification.id.desc()).limit(limit).offset(offset)))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_all_read(session: Session, user: User) -> int:
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                      Notification.read_at.is_(None))).all()
    now = utcnow()
    for row in rows:
        row.read_at = now
    session.flush()
    return len(rows)


def announce_new_tasks(session: Session, case: Case, workflow: object, created: list[HumanTask],
                       ready: object) -> None:
    """Tell everyone who may act on a new review step (in-app, and by e-mail when configured)."""
    for row in created:
        if row.kind == TaskKind.REVIEW:
            for person in eligible_users(session, row):
                notify(session, person.id, "task", f"新待办：{row.name}（{case.number} {case.title}）", case=case)


TASK_KINDS = ("task", "transferred", "delegated", "delegate_resolved", "signer", "urged", "task.reminder",
              "task.overdue")


def settle_task_notifications(session: Session, case: Case, workflow: object, created: list[HumanTask],
                              ready: object) -> int:
    """Once the case moved, its task notifications (新待办, 转办, 催办, …) are marked read for everyone who can
    no longer act on any of its open tasks: a handled task does not keep the badge growing."""
    open_rows = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
    still_acting = {person.id for row in open_rows for person in eligible_users(session, row)}
    rows = session.scalars(select(Notification).where(
        Notification.case_id == case.id, Notification.read_at.is_(None),
        Notification.kind.in_(TASK_KINDS))).all()
    now, settled = utcnow(), 0
    for row in rows:
        if row.user_id not in still_acting:
            row.read_at, settled = now, settled + 1
    session.flush()
    return settled

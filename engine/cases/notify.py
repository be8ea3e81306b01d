"""The in-app notification centre: who is told what, and who may currently act on a task."""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, func, insert, literal, null, or_, select, union_all, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine.cases.models import Notification, NotificationSetting
from engine.db import utcnow, writing_connection
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


def _eligible_pairs(tasks: ColumnElement[bool]) -> Any:
    """(task id, user id) for every person who may act on each task ``tasks`` selects: ``eligible_users`` as one
    query. The condition is on ``human_task`` itself, so the planner starts from its own index (case or id)."""
    assigned = (select(HumanTask.id.label("task_id"), User.id.label("user_id"))
                .join(User, User.id == HumanTask.assignee_id)
                .where(tasks, User.active.is_(True)))
    by_role = (select(HumanTask.id.label("task_id"), User.id.label("user_id"))
               .join(Membership, and_(Membership.role == HumanTask.role, Membership.org_id == HumanTask.scope_org_id))
               .join(User, User.id == Membership.user_id)
               .where(tasks, HumanTask.assignee_id.is_(None), User.active.is_(True),
                      or_(HumanTask.kind != TaskKind.REVIEW, User.id != HumanTask.submitter_id)))
    return union_all(assigned, by_role).subquery()


# Built once, run on the session's connection (no ORM layer): building and hashing these statements costs more
# than running them, on every workflow cycle.
_NEW_TASKS = _eligible_pairs(HumanTask.id.in_(bindparam("task_ids", expanding=True)))
_NEW_TASK = aliased(HumanTask)
_WANTS_MAIL = and_(NotificationSetting.email.is_not(None), NotificationSetting.email != "")
ANNOUNCE = insert(Notification).from_select(
    ["user_id", "case_id", "kind", "created_at", "message", "email_status"],
    select(_NEW_TASKS.c.user_id, _NEW_TASK.case_id, literal("task"), bindparam("now"),
           func.substr(literal("新待办：") + _NEW_TASK.name + "（" + Case.number + " " + Case.title + "）",
                       1, MAX_MESSAGE),
           when((_WANTS_MAIL, literal("pending")), else_=null()))
    .join(_NEW_TASK, _NEW_TASK.id == _NEW_TASKS.c.task_id)
    .join(Case, Case.id == _NEW_TASK.case_id)
    .outerjoin(NotificationSetting, NotificationSetting.user_id == _NEW_TASKS.c.user_id)
    .order_by(_NEW_TASKS.c.task_id, _NEW_TASKS.c.user_id))
"""新待办 for everyone who may act on the new review steps, written by the database in one statement."""
TASK_KINDS = ("task", "transferred", "delegated", "delegate_resolved", "signer", "urged", "task.reminder",
              "task.overdue")
_STILL_ACTING = _eligible_pairs(and_(HumanTask.case_id == bindparam("of_case"), HumanTask.status == "open"))
SETTLE = (update(Notification)
          .where(Notification.case_id == bindparam("of_case"), Notification.read_at.is_(None),
                 Notification.kind.in_(TASK_KINDS), Notification.user_id.not_in(select(_STILL_ACTING.c.user_id)))
          .values(read_at=bindparam("settled_at")).returning(Notification.id))
ANNOUNCE_AND_SETTLE = SETTLE.add_cte(ANNOUNCE.returning(Notification.id).cte("announced"))
"""PostgreSQL runs a data-modifying WITH to completion even when nothing reads it; the UPDATE does not see the
rows the INSERT adds (one snapshot), and would leave them alone anyway: their readers may act on the new step."""


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


def update_task_notifications(session: Session, case: Case, workflow: object, created: list[HumanTask],
                              ready: object) -> int:
    """After the case moved: tell everyone who may act on a new review step (新待办, in-app and by e-mail when
    configured), and settle the case's task notifications (see :func:`settle_task_notifications`); on
    PostgreSQL both in one statement. Returns how many were settled."""
    reviews = [row.id for row in created if row.kind == TaskKind.REVIEW]
    session.flush()
    connection, now = writing_connection(session), utcnow()
    settling = {"of_case": case.id, "settled_at": now}
    if reviews and connection.dialect.name == "postgresql":
        settled = connection.execute(ANNOUNCE_AND_SETTLE, {**settling, "task_ids": reviews, "now": now}).scalars().all()
    else:
        if reviews:
            connection.execute(ANNOUNCE, {"task_ids": reviews, "now": now})
        settled = connection.execute(SETTLE, settling).scalars().all()
    _mark_read_in_session(session, settled, now)
    return len(settled)


def settle_task_notifications(session: Session, case: Case) -> int:
    """Once the case moved, its task notifications (新待办, 转办, 催办, …) are marked read for everyone who can
    no longer act on any of its open tasks: a handled task does not keep the badge growing."""
    session.flush()
    now = utcnow()
    settled = writing_connection(session).execute(SETTLE, {"of_case": case.id, "settled_at": now}).scalars().all()
    _mark_read_in_session(session, settled, now)
    return len(settled)


def _mark_read_in_session(session: Session, notification_ids: list[int], now: Any) -> None:
    for notification_id in notification_ids:
        loaded = session.identity_map.get(identity_key(Notification, notification_id))
        if loaded is not None:
            set_committed_value(loaded, "read_at", now)

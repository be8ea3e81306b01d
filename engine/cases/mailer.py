"""E-mail delivery of notifications through SMTP, after the transaction that created them has committed."""
from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import journal as audit
from engine.cases.models import Notification, NotificationSetting
from engine.errors import InvalidData
from engine.identity.models import User

EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}")
BATCH = 50


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    sender: str = "baguan@localhost"
    starttls: bool = False
    timeout: float = 10.0


def set_email(session: Session, user: User, email: str | None) -> NotificationSetting:
    """Set (or clear, with an empty value) the address the user's notifications are e-mailed to."""
    value = (email or "").strip() or None
    if value is not None and (len(value) > 254 or not EMAIL.fullmatch(value)):
        raise InvalidData("邮箱地址无效", {"email": "请填写有效的邮箱地址，如 name@example.org"})
    setting = session.get(NotificationSetting, user.id) or NotificationSetting(user_id=user.id)
    setting.email = value
    session.add(setting)
    session.flush()
    audit.record(session, "notification.email_set", actor=user, email=value or "")
    return setting


def email_of(session: Session, user_id: int) -> str | None:
    setting = session.get(NotificationSetting, user_id)
    return setting.email if setting else None


def deliver_pending(session: Session, config: SmtpConfig) -> int:
    """Send the pending notification e-mails (one connection); each is marked sent or failed. Flush only."""
    pending = list(session.scalars(select(Notification).where(Notification.email_status == "pending")
                                   .order_by(Notification.id).limit(BATCH)))
    if not pending:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.username:
                smtp.login(config.username, config.password or "")
            for entry in pending:
                sent += _send_one(session, smtp, config, entry)
    except (OSError, smtplib.SMTPException):
        for entry in pending:
            if entry.email_status == "pending":
                entry.email_status = "failed"
    session.flush()
    return sent


def _send_one(session: Session, smtp: smtplib.SMTP, config: SmtpConfig, entry: Notification) -> int:
    address = email_of(session, entry.user_id)
    if address is None:
        entry.email_status = "skipped"
        return 0
    message = EmailMessage()
    message["From"], message["To"] = config.sender, address
    message["Subject"] = "【把关】" + entry.message[:60]
    message.set_content(entry.message + "\n\n请登录把关系统查看。\n")
    try:
        smtp.send_message(message)
    except smtplib.SMTPException:
        entry.email_status = "failed"
        return 0
    entry.email_status = "sent"
    return 1

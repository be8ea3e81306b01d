"""消息中心 and e-mail through SMTP (a local SMTP server started by the test)."""
from __future__ import annotations

from email.header import decode_header, make_header
from typing import Any, Callable

from flask import Flask
from flask.testing import FlaskClient

from engine.cases import mailer as mailer
from engine.cases import notify as notify
from engine.review import case_ops as review_ops
from engine.runtime.models import Case
from webapp import create_app

from ..conftest import TEST_PASSWORD, World
from ..webapp.helpers import file_plan, page
from .helpers import start
from .smtp_server import smtp_server  # noqa: F401  (fixture)


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_new_tasks_copies_and_urges_reach_the_notification_centre(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session, session.begin():
        review_ops.copy_case(session, world.user(session, "xh_staff"), case_id, ["xh_finance"])
        review_ops.urge_case(session, world.user(session, "xh_staff"), case_id)
    with world.sessions() as session, session.begin():
        sg, finance = world.user(session, "xh_sg"), world.user(session, "xh_finance")
        assert [n.kind for n in notify.notifications(session, sg)] == ["urged", "task"]
        assert notify.unread_count(session, finance) == 1
        assert notify.mark_all_read(session, sg) == 2 and notify.unread_count(session, sg) == 0


def test_notifications_are_emailed_when_smtp_is_configured(world: World, db_url: str, plan_data: dict[str, Any],
                                                           smtp_server: Any) -> None:  # noqa: F811
    with world.sessions() as session, session.begin():
        mailer.set_email(session, world.user(session, "xh_sg"), "sg@example.org")
    app: Flask = create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789",
                             "WTF_CSRF_ENABLED": False, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port,
                             "SMTP_FROM": "baguan@example.org"}, environ={"BAGUAN_ENV": "testing"})
    client = app.test_client()
    client.post("/login", data={"username": "xh_staff", "password": TEST_PASSWORD})
    file_plan(client, plan_data)
    [message] = smtp_server.messages
    assert message["To"] == "sg@example.org" and message["From"] == "baguan@example.org"
    assert "新待办：秘书长审核" in subject(message)
    with world.sessions() as session:
        from engine.cases.models import Notification
        statuses = {n.email_status for n in session.query(Notification).all()}
        assert statuses == {"sent"}


def test_unreachable_smtp_marks_mail_failed_without_breaking_the_request(world: World, plan_data: dict[str, Any]) -> None:
    start(world, plan_data)
    with world.sessions() as session, session.begin():
        mailer.set_email(session, world.user(session, "xh_sg"), "sg@example.org")
        review_ops.copy_case(session, world.user(session, "xh_staff"), 1, ["xh_sg"])
    with world.sessions() as session, session.begin():
        assert mailer.deliver_pending(session, mailer.SmtpConfig("127.0.0.1", 1, timeout=2)) == 0
    with world.sessions() as session:
        from engine.cases.models import Notification
        assert {n.email_status for n in session.query(Notification).filter_by(kind="copied")} == {"failed"}


def test_notification_page_and_email_setting(login: Callable[[str], FlaskClient], plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    html = page(client.get("/"))
    assert "条未读消息" in html
    html = page(client.get("/notifications"))
    assert "新待办：秘书长审核" in html and "系统未配置邮件服务器" in html
    assert "邮箱地址无效" in page(client.post("/notifications/email", data={"email": "not-an-address"},
                                             follow_redirects=True))
    assert "已保存邮箱" in page(client.post("/notifications/email", data={"email": "sg@example.org"},
                                           follow_redirects=True))
    client.post("/notifications/read")
    assert "条未读消息" not in page(client.get("/"))


def test_a_new_review_step_tells_each_holder_with_the_case_number_and_title(world: World,
                                                                           plan_data: dict[str, Any]) -> None:
    """新待办 names the step, the case number and its title; only someone with an address is e-mailed."""
    with world.sessions() as session, session.begin():
        mailer.set_email(session, world.user(session, "xh_sg"), "sg@example.org")
    case_id = start(world, plan_data)
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        [told] = notify.notifications(session, world.user(session, "xh_sg"))
        assert (told.kind, told.case_id, told.read_at) == ("task", case_id, None)
        assert told.message == f"新待办：秘书长审核（{case.number} {case.title}）"
        assert told.email_status == "pending"
        assert notify.notifications(session, world.user(session, "xh_staff")) == []

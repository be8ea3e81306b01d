"""Organisations, users and roles managed in the studio, and the all-or-nothing CSV import."""
from __future__ import annotations

from io import BytesIO
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import journal as audit
from engine.identity.models import Membership, User
from engine.journal import AuditEvent

from ..conftest import TEST_PASSWORD, World

Login = Callable[[str], FlaskClient]
GOOD_CSV = "用户名,姓名,组织代码,角色\nwh_staff,王经办,XH,经办人\nwh_staff,王经办,XH,finance\nxh_sg,秘书长乙,YH,秘书长\n"


def _actions(world: World) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _import(client: FlaskClient, text: str) -> tuple[int, str]:
    response = client.post("/admin/people/import", data={"file": (BytesIO(text.encode("utf-8")), "users.csv")},
                           content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_add_org_user_grant_revoke_and_deactivate(world: World, login: Login) -> None:
    client = login("admin")
    assert client.post("/admin/orgs", data={"code": "wh", "name": "天津市物理学会", "kind": "society"}).status_code == 302
    client.post("/admin/users", data={"username": "wh_sg", "name": "物理秘书长", "password": TEST_PASSWORD})
    with world.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == "wh_sg"))
    client.post(f"/admin/users/{user_id}/roles", data={"org": "WH", "role": "secretary_general"})
    page = client.get("/admin/people").get_data(as_text=True)
    assert "天津市物理学会 · 秘书长" in page
    with world.sessions() as session:
        membership_id = session.scalar(select(Membership.id).where(Membership.user_id == user_id))
    client.post(f"/admin/memberships/{membership_id}/revoke")
    client.post(f"/admin/users/{user_id}/active", data={"active": "0"})
    with world.sessions() as session:
        user = session.get(User, user_id)
        assert user.memberships == [] and not user.active
        assert audit.verify_chain(session).ok
    assert _actions(world)[-5:] == ["org.created", "user.created", "role.granted", "role.revoked", "user.deactivated"]


def test_bad_input_gets_a_clear_message(world: World, login: Login) -> None:
    client = login("admin")
    response = client.post("/admin/users/1/roles", data={"org": "TAST", "role": "staff"})
    assert response.status_code == 400 and "只能在学会" in response.get_data(as_text=True)
    assert client.post("/admin/orgs", data={"code": "XH", "name": "重复"}).status_code == 409
    with world.sessions() as session:
        own = session.scalar(select(Membership.id).where(Membership.user_id == world.user_ids["admin"]))
    assert client.post(f"/admin/memberships/{own}/revoke").status_code == 422
    assert client.post("/admin/users", data={"username": "a b", "name": "x", "password": TEST_PASSWORD}).status_code == 400


def test_csv_import_creates_users_and_grants_roles(world: World, login: Login) -> None:
    client = login("admin")
    status, page = _import(client, GOOD_CSV)
    assert status == 200 and "wh_staff" in page and "新建 1 个用户" in page
    with world.sessions() as session:
        user = session.scalar(select(User).where(User.username == "wh_staff"))
        assert sorted(m.role for m in user.memberships) == ["finance", "staff"]
        sg = session.scalar(select(User).where(User.username == "xh_sg"))
        assert sorted(m.org.code for m in sg.memberships) == ["XH", "YH"]
    assert _actions(world)[-1] == "users.imported"


def test_one_bad_line_imports_nothing_and_names_every_bad_line(world: World, login: Login) -> None:
    client = login("admin")
    with world.sessions() as session:
        before = (session.scalar(select(func.count()).select_from(User)),
                  session.scalar(select(func.count()).select_from(Membership)))
    bad = GOOD_CSV + "bad name,某人,XH,经办人\nnew_one,新人,NOPE,经办人\nnew_two,新人,TAST,经办人\nnew_3,新人,XH,队长\n"
    bad += "wh_staff,王经办,XH,staff\n"
    status, page = _import(client, bad)
    assert status == 422 and "未导入任何数据" in page
    for expected in ("第 5 行：用户名", "第 6 行：组织 NOPE 不存在", "第 7 行：角色 经办人 不能在", "第 8 行：角色 队长 不存在",
                     "第 9 行：与第 2 行重复"):
        assert expected in page
    with world.sessions() as session:
        assert (session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(Membership))) == before
    assert _import(client, "a,b\n1,2\n")[0] == 422
    response = client.post("/admin/people/import", data={"file": (BytesIO("用户名".encode("gbk")), "u.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)

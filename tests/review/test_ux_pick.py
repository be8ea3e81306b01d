"""Issue 12 item 5: the 转办 note on the receiver's page, handled tasks' notifications settle, people pickers."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from engine.cases import notify as notify
from engine.review import task_ops as task_ops

from ..conftest import World, add_test_user
from ..webapp.helpers import page
from .helpers import act, open_task_id, start


@pytest.fixture
def second_sg(world: World) -> str:
    with world.sessions() as session, session.begin():
        world.user_ids["xh_sg2"] = add_test_user(session, "xh_sg2", [("secretary_general", world.org_ids["XH"])]).id
    return "xh_sg2"


def unread(world: World, username: str) -> int:
    with world.sessions() as session:
        return notify.unread_count(session, world.user(session, username))


def transfer(world: World, task_id: int, to: str, note: str) -> None:
    with world.sessions() as session, session.begin():
        task_ops.transfer_task(session, world.user(session, "xh_sg"), task_id, to, note)


def test_the_receiver_of_a_transfer_sees_who_transferred_when_and_why(world: World, plan_data: dict[str, Any],
                                                                      second_sg: str,
                                                                      login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    transfer(world, task_id, second_sg, "本周出差，请代为审核预算部分")
    html = page(login(second_sg).get(f"/tasks/{task_id}"))
    assert "将本任务转办给您" in html and "本周出差，请代为审核预算部分" in html
    with world.sessions() as session:
        sender = world.user(session, "xh_sg").name
    assert f"{sender} 于 " in html
    assert "本周出差" not in page(login("xh_finance").get(f"/tasks/{task_id}"))


def test_notifications_of_a_handled_task_are_marked_read_for_everyone(world: World, plan_data: dict[str, Any],
                                                                      second_sg: str) -> None:
    first = start(world, plan_data)
    second = start(world, plan_data, title="另一份计划")
    assert unread(world, "xh_sg") == 2 and unread(world, second_sg) == 2
    act(world, "xh_sg", first, "approve")
    assert unread(world, "xh_sg") == 1 and unread(world, second_sg) == 1
    assert unread(world, "xh_finance") == 1
    transfer(world, open_task_id(world, second), second_sg, "")
    assert unread(world, "xh_sg") == 0 and unread(world, second_sg) == 2
    act(world, second_sg, second, "approve")
    assert unread(world, second_sg) == 0 and unread(world, "xh_finance") == 2


def people(client: FlaskClient, query: str) -> tuple[int, Any]:
    response = client.get(f"/people?{query}", headers={"Accept": "application/json"})
    return response.status_code, response.get_json()


def usernames(body: Any) -> list[str]:
    return [p["username"] for p in body["people"]]


def test_the_proxy_picker_searches_the_members_of_ones_own_society(world: World, second_sg: str,
                                                                   login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_sg")
    status, body = people(client, "for=proxy")
    assert status == 200
    assert set(usernames(body)) == {"xh_staff", "xh_party", "xh_president", "xh_finance", "xh_fa", second_sg}
    assert usernames(people(client, "for=proxy&q=FINANCE")[1]) == ["xh_finance"]
    assert people(client, "for=proxy&q=测试xh_par")[1]["people"][0]["label"] == "测试xh_party（xh_party）"
    html = page(client.get("/settings"))
    assert 'list="proxy-people"' in html and '<option value="xh_finance"' in html and "yh_finance" not in html
    status, body = people(client, "for=anyone")
    assert status in (400, 422) and "用途无效" in body["error"]["message"]


def test_task_pickers_offer_only_whom_the_operation_allows(world: World, plan_data: dict[str, Any], second_sg: str,
                                                           login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    task_id = open_task_id(world, case_id)
    client = login("xh_sg")
    assert usernames(people(client, f"for=transfer&task={task_id}")[1]) == [second_sg]
    delegates = usernames(people(client, f"for=delegate&task={task_id}")[1])
    assert "xh_finance" in delegates and "xh_staff" not in delegates and "xh_sg" not in delegates
    signers = usernames(people(client, f"for=signer&task={task_id}")[1])
    assert "xh_finance" in signers and "admin" not in signers
    assert people(client, f"for=transfer&task={task_id}&q=nobody")[1]["people"] == []
    html = page(client.get(f"/tasks/{task_id}"))
    assert 'data-filter-select="transfer-user"' in html
    status, body = people(login("xh_finance"), f"for=transfer&task={task_id}")
    assert status == 403
    assert people(login("yh_sg"), f"for=transfer&task={task_id}")[0] in (403, 404)
    staff = login("xh_staff")
    copies = usernames(people(staff, f"for=copy&case={case_id}&q=xh_f")[1])
    assert copies == ["xh_fa", "xh_finance"]

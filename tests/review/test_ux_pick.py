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

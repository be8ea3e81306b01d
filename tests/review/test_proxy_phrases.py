"""代理人 (tasks go to the proxy; the record shows both names), 转办 of a proxied task, and 常用语."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.cases import queries as queries
from engine.clock import beijing_today
from engine.errors import Conflict, InvalidData, NotFound
from engine.journal import AuditEvent
from engine.review import phrases as phrases
from engine.review import proxies as proxies
from engine.review import task_ops as task_ops

from ..conftest import World, add_test_user
from .helpers import act, open_steps, open_task_id, start


def set_proxy(world: World, principal: str, proxy: str, days: int = 3, offset: int = 0) -> int:
    today = beijing_today() + timedelta(days=offset)
    with world.sessions() as session, session.begin():
        rule = proxies.set_proxy(session, world.user(session, principal), proxy, today, today + timedelta(days=days))
        return rule.id


def todo_titles(world: World, username: str) -> list[str]:
    with world.sessions() as session:
        return [t.name for t in queries.todo_tasks(session, world.user(session, username)).items]


@pytest.fixture
def deputy(world: World) -> str:
    """A deputy secretary-general in 学会 XH who also holds the secretary-general role."""
    with world.sessions() as session, session.begin():
        world.user_ids["xh_deputy"] = add_test_user(session, "xh_deputy", [("staff", world.org_ids["XH"])]).id
    return "xh_deputy"


def test_the_proxy_gets_the_tasks_and_the_record_shows_both_names(world: World, plan_data: dict[str, Any],
                                                                  deputy: str) -> None:
    case_id = start(world, plan_data)
    assert todo_titles(world, deputy) == []
    set_proxy(world, "xh_sg", deputy)
    assert todo_titles(world, deputy) == ["秘书长审核"]
    act(world, deputy, case_id, "approve", comment="代为审核同意")
    assert open_steps(world, case_id) == ["finance_check"]
    with world.sessions() as session:
        event = session.query(AuditEvent).filter_by(case_id=case_id, action="task.completed").all()[-1]
        assert event.actor_name == "测试xh_deputy" and event.detail["on_behalf_of_name"] == "测试xh_sg"


def test_no_proxying_outside_the_date_range_or_of_own_cases(world: World, plan_data: dict[str, Any],
                                                            deputy: str) -> None:
    start(world, plan_data)
    rule_id = set_proxy(world, "xh_sg", deputy, days=2, offset=1)
    assert todo_titles(world, deputy) == [], "the range starts tomorrow"
    with world.sessions() as session, session.begin():
        proxies.cancel_proxy(session, world.user(session, "xh_sg"), rule_id)
    set_proxy(world, "xh_sg", "xh_staff")
    assert todo_titles(world, "xh_staff") == [], "the proxy never reviews a case they filed"


def test_proxy_settings_are_checked(world: World, deputy: str) -> None:
    today = beijing_today()
    with world.sessions() as session, session.begin():
        sg = world.user(session, "xh_sg")
        for args in (("xh_sg", today, today), ("yh_sg", today, today), (deputy, today, today - timedelta(days=1)),
                     (deputy, today, today + timedelta(days=400)), (deputy, None, today)):
            with pytest.raises(InvalidData):
                proxies.set_proxy(session, sg, *args)
        proxies.set_proxy(session, sg, deputy, today, today + timedelta(days=5))
        with pytest.raises(Conflict):
            proxies.set_proxy(session, sg, "xh_party", today + timedelta(days=2), today + timedelta(days=9))
        assert len(proxies.my_rules(session, sg)) == 1
        with pytest.raises(NotFound):
            proxies.cancel_proxy(session, world.user(session, deputy), proxies.my_rules(session, sg)[0].id)


def test_transfer_of_a_proxied_task(world: World, plan_data: dict[str, Any], deputy: str) -> None:
    """The proxy hands the task on to another holder of the role; the record names the principal."""
    with world.sessions() as session, session.begin():
        world.user_ids["xh_sg2"] = add_test_user(session, "xh_sg2", [("secretary_general", world.org_ids["XH"])]).id
    case_id = start(world, plan_data)
    set_proxy(world, "xh_sg", deputy)
    task_id = open_task_id(world, case_id)
    with world.sessions() as session, session.begin():
        task_ops.transfer_task(session, world.user(session, deputy), task_id, "xh_sg2", "转给另一位秘书长")
    with world.sessions() as session:
        event = session.query(AuditEvent).filter_by(case_id=case_id, action="task.transferred").one()
        assert event.actor_name == "测试xh_deputy" and event.detail["on_behalf_of_name"] == "测试xh_sg"
        assert event.detail["to_name"] == "测试xh_sg2"
    assert todo_titles(world, deputy) == []
    act(world, "xh_sg2", case_id, "approve")
    assert open_steps(world, case_id) == ["finance_check"]


def test_saved_phrases(world: World) -> None:
    with world.sessions() as session, session.begin():
        sg = world.user(session, "xh_sg")
        phrase = phrases.add_phrase(session, sg, "  请补充预算明细。 ")
        with pytest.raises(Conflict):
            phrases.add_phrase(session, sg, "请补充预算明细。")
        with pytest.raises(InvalidData):
            phrases.add_phrase(session, sg, " ")
        listed = phrases.phrases_for(session, sg)
        assert listed[0].text == "请补充预算明细。" and listed[0].own and "已阅。" in [p.text for p in listed]
        with pytest.raises(NotFound):
            phrases.delete_phrase(session, world.user(session, "xh_party"), phrase.id)
        phrases.delete_phrase(session, sg, phrase.id)
        assert not any(p.own for p in phrases.phrases_for(session, sg))

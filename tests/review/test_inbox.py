"""The inbox tabs: 待办 · 已办 · 我发起的 · 抄送我的, with counts, filters, search, sorting and paging."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from engine.cases import queries as queries
from engine.cases.inbox import InboxFilter
from engine.db import utcnow
from engine.errors import Conflict, InvalidData
from engine.review import case_ops as review_ops
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from .helpers import act, start


def todo(world: World, username: str, **kwargs: Any) -> list[str]:
    with world.sessions() as session:
        page = queries.todo_tasks(session, world.user(session, username), f=InboxFilter(**kwargs))
        return [t.case.title for t in page.items]


def three_cases(world: World, plan: dict[str, Any]) -> list[int]:
    return [start(world, plan, title=title) for title in ("甲计划", "乙计划", "丙计划")]


def test_search_by_title_or_case_number(world: World, plan_data: dict[str, Any]) -> None:
    ids = three_cases(world, plan_data)
    with world.sessions() as session:
        number = session.get(Case, ids[1]).number
    assert todo(world, "xh_sg", search="乙") == ["乙计划"]
    assert todo(world, "xh_sg", search=number.lower()) == ["乙计划"]
    assert todo(world, "xh_sg", search=number[-4:]) == ["乙计划"]
    assert todo(world, "xh_sg", search="%") == []
    assert todo(world, "xh_sg", search="计划") == ["甲计划", "乙计划", "丙计划"]


def test_sorting_and_paging(world: World, plan_data: dict[str, Any]) -> None:
    ids = three_cases(world, plan_data)
    soon = utcnow() + timedelta(days=1)
    with world.sessions() as session, session.begin():
        session.execute(update(HumanTask).where(HumanTask.case_id == ids[2]).values(due_at=soon))
    assert todo(world, "xh_sg", sort="newest") == ["丙计划", "乙计划", "甲计划"]
    assert todo(world, "xh_sg", sort="due")[0] == "丙计划"
    with world.sessions() as session:
        page = queries.todo_tasks(session, world.user(session, "xh_sg"), limit=2, offset=2)
        assert ([t.case.title for t in page.items], page.total) == (["丙计划"], 3)


def test_overdue_period_society_and_process_filters(world: World, plan_data: dict[str, Any]) -> None:
    ids = three_cases(world, plan_data)
    start(world, plan_data, username="yh_staff", org="YH", title="另一学会计划")
    with world.sessions() as session, session.begin():
        session.execute(update(HumanTask).where(HumanTask.case_id == ids[0]).values(due_at=utcnow() - timedelta(days=1)))
    assert todo(world, "xh_sg", overdue=True) == ["甲计划"]
    today = (utcnow() + timedelta(hours=8)).date()
    assert len(todo(world, "xh_sg", since=today, until=today)) == 3
    assert todo(world, "xh_sg", since=today + timedelta(days=1)) == []
    assert todo(world, "cast", process="annual_plan") == []
    act(world, "xh_sg", ids[0], "approve")
    assert todo(world, "xh_finance", process="annual_plan", org_id=world.org_ids["XH"]) == ["甲计划"]
    assert todo(world, "xh_finance", process="other_process") == []
    assert todo(world, "xh_finance", org_id=world.org_ids["YH"]) == []


def test_done_and_started_tabs_filter_too(world: World, plan_data: dict[str, Any]) -> None:
    ids = three_cases(world, plan_data)
    act(world, "xh_sg", ids[0], "approve")
    act(world, "xh_sg", ids[1], "approve")
    with world.sessions() as session:
        sg, staff = world.user(session, "xh_sg"), world.user(session, "xh_staff")
        done = queries.done_tasks(session, sg, f=InboxFilter(search="乙"))
        assert [t.case.title for t in done.items] == ["乙计划"] and done.total == 1
        assert queries.done_tasks(session, sg, f=InboxFilter(sort="oldest")).items[0].case.title == "甲计划"
        started = queries.started_cases(session, staff, f=InboxFilter(search="丙"))
        assert [c.title for c in started.items] == ["丙计划"]
        assert queries.started_cases(session, staff, f=InboxFilter(overdue=True)).total == 0
        counts = queries.tab_counts(session, sg)
        assert (counts.todo, counts.done, counts.started, counts.copied_unread) == (1, 2, 0, 0)


def test_copies_appear_under_copied_to_me_until_read(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session, session.begin():
        review_ops.copy_case(session, world.user(session, "xh_staff"), case_id, ["xh_finance", "xh_fa"], "请知悉")
    with world.sessions() as session:
        finance = world.user(session, "xh_finance")
        page = queries.copied_cases(session, finance)
        assert [c.case_id for c in page.items] == [case_id] and page.items[0].read_at is None
        assert queries.tab_counts(session, finance).copied_unread == 1
    with world.sessions() as session, session.begin():
        review_ops.mark_copy_read(session, world.user(session, "xh_finance"), case_id)
    with world.sessions() as session:
        finance = world.user(session, "xh_finance")
        assert queries.tab_counts(session, finance).copied_unread == 0
        assert queries.copied_cases(session, finance).items[0].read_at is not None


def test_copy_only_to_people_who_may_see_the_case(world: World, plan_data: dict[str, Any]) -> None:
    case_id = start(world, plan_data)
    with world.sessions() as session, session.begin():
        with pytest.raises(InvalidData) as error:
            review_ops.copy_case(session, world.user(session, "xh_staff"), case_id, ["yh_sg"])
        assert "yh_sg" in error.value.fields["users"]
        with pytest.raises(Conflict):
            review_ops.mark_copy_read(session, world.user(session, "xh_sg"), case_id)


def test_bad_search_and_sort_are_refused() -> None:
    from engine.cases.inbox import check_sort, clean_search
    from engine.errors import BadRequest
    with pytest.raises(BadRequest):
        clean_search("x" * 101)
    with pytest.raises(BadRequest):
        check_sort("sideways", ("oldest", "newest"))
    assert clean_search("  ") is None and date(2026, 1, 1)

"""The task page asks for each opinion once: a review form's own …意见 field (党组织审查意见, 外事意见, 财务意见) is the
page's single opinion box; the case and task pages show 流程进度; the page is marked up for phones."""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.runtime.models import Case

from ..conftest import World
from .helpers import decide, file_plan, only_task, page

Login = Callable[[str], FlaskClient]


def to_party_review(login: Login, plan_data: dict[str, Any]) -> int:
    case_id = file_plan(login("xh_staff"), plan_data)
    for username, data in (("xh_sg", {}), ("xh_finance", {"budget_checked": "1"})):
        client = login(username)
        assert decide(client, only_task(client), "approve", "同意。", **data).status_code == 302
    return case_id


def test_the_party_opinion_is_typed_once_and_stored_as_the_step_field(login: Login, plan_data: dict[str, Any],
                                                                      world: World) -> None:
    case_id = to_party_review(login, plan_data)
    client = login("xh_party")
    task_id = only_task(client)
    html = page(client.get(f"/tasks/{task_id}"))
    assert html.count("<textarea") == 1 and 'name="party_review_opinion"' not in html
    assert 'for="comment">党组织审查意见' in html and 'class="action-bar"' in html
    response = decide(client, task_id, "approve", "政治方向正确，同意提交。")
    assert response.status_code == 302, page(response)
    with world.sessions() as session:
        case = session.scalar(select(Case).where(Case.id == case_id))
        assert case is not None and case.data["party_review_opinion"] == "政治方向正确，同意提交。"


def test_case_and_task_pages_show_the_route_ahead(login: Login, plan_data: dict[str, Any]) -> None:
    case_id = to_party_review(login, plan_data)
    html = page(login("xh_staff").get(f"/cases/{case_id}"))
    assert "流程进度" in html and 'data-state="current"' in html and "测试xh_party" in html
    assert html.index("党组织前置审查") < html.index("理事长审定") < html.index("市科协学会部备案")
    assert html.count('data-state="done"') == 3 and html.count('data-state="upcoming"') == 3
    client = login("xh_party")
    task_html = page(client.get(f"/tasks/{only_task(client)}"))
    assert "流程进度" in task_html and '<html lang="zh-CN">' in task_html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in task_html

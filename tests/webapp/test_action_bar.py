"""The fixed action bar on the task page: the ticks 同意 requires sit beside 同意 (once each, posted with the form,
refused by the server when missing), and the 委派 delegate's reply uses the same bar."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask.testing import FlaskClient

from .helpers import file_plan, only_task, page

Login = Callable[[str], FlaskClient]
CHECK = 'name="sg_compliance_checked"'


def action_bar(html: str) -> str:
    """The markup from the fixed bar to the end of its form."""
    start = html.index('<div class="action-bar"')
    return html[start:html.index("</form>", start)]


def test_the_required_tick_is_in_the_action_bar_once(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    html = page(client.get(f"/tasks/{task_id}"))
    assert html.count(CHECK) == 1 and CHECK in action_bar(html)
    assert "已核对业务与合规要点" in action_bar(html) and 'value="approve"' in action_bar(html)
    assert re.search(r'<body[^>]*class="[^"]*has-action-bar', html)
    refused = client.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意"})
    assert refused.status_code == 422
    bar = action_bar(page(refused))
    assert "须为“是”才能同意" in bar and 'aria-invalid="true"' in bar and page(refused).count(CHECK) == 1
    approved = client.post(f"/tasks/{task_id}", data={"decision": "approve", "comment": "同意",
                                                      "sg_compliance_checked": "1"})
    assert approved.status_code == 302


def test_a_kept_tick_stays_ticked_after_a_draft(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    client.post(f"/tasks/{task_id}", data={"decision": "save_draft", "sg_compliance_checked": "1"})
    bar = action_bar(page(client.get(f"/tasks/{task_id}")))
    assert re.search(r'name="sg_compliance_checked" value="1" checked', bar)


def test_the_delegate_replies_from_the_action_bar(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    client.post(f"/tasks/{task_id}/delegate", data={"user": "xh_finance", "note": "请提意见"})
    html = page(login("xh_finance").get(f"/tasks/{task_id}"))
    bar = action_bar(html)
    assert f'action="/tasks/{task_id}/reply"' in html[:html.index('<div class="action-bar"')][-400:]
    assert 'name="opinion"' in bar and "回复意见" in bar and html.count('name="opinion"') == 1
    assert 'name="decision"' not in html and re.search(r'<body[^>]*class="[^"]*has-action-bar', html)

"""The reviewer workspace in the web UI: tabs, filters, 退回 targets, 撤回, 撤销, 抄送, 已阅, 催办, 打印."""
from __future__ import annotations

import re
from typing import Any, Callable

from flask.testing import FlaskClient

from ..conftest import World
from ..webapp.helpers import decide, file_plan, only_task, page
from .helpers import PARTY, approve_to, open_steps

Login = Callable[[str], FlaskClient]


def test_tabs_show_counts_and_filters_narrow_the_list(login: Login, plan_data: dict[str, Any]) -> None:
    client = login("xh_staff")
    file_plan(client, plan_data, "甲计划")
    file_plan(client, plan_data, "乙计划")
    client = login("xh_sg")
    html = page(client.get("/"))
    assert re.search(r'data-tab="todo"[^>]*>待办<span class="tab-count"[^>]*>2<', html)
    assert "抄送我的" in html and "甲计划" in html and "乙计划" in html
    html = page(client.get("/?q=乙&sort=newest"))
    assert "乙计划" in html and "甲计划" not in html
    assert "没有符合条件的事项" in page(client.get("/?q=不存在的标题"))
    assert page(client.get("/?overdue=1")).count("item-title") == 0


def test_bad_filter_values_get_a_clear_chinese_error(login: Login) -> None:
    client = login("xh_sg")
    for query in ("since=2027-13-01", "sort=sideways", "overdue=maybe", "org=YH", "since=2027-02-01&until=2027-01-01"):
        response = client.get(f"/done?{query}")
        assert response.status_code == 400, query
        assert "无效" in page(response) or "不正确" in page(response) or "不能早于" in page(response)


def test_paging_keeps_the_filters(login: Login, plan_data: dict[str, Any], world: World) -> None:
    client = login("xh_staff")
    for n in range(21):
        file_plan(client, plan_data, f"计划{n:02d}")
    html = page(client.get("/started?q=计划&sort=oldest"))
    assert "第 1 / 2 页" in html
    assert 'href="/started?q=%E8%AE%A1%E5%88%92&amp;sort=oldest&amp;page=2"' in html


def test_return_to_a_chosen_step_from_the_task_page(login: Login, plan_data: dict[str, Any], world: World) -> None:
    case_id = file_plan(login("xh_staff"), plan_data)
    approve_to(world, case_id, "president_review")
    client = login("xh_president")
    task_id = only_task(client)
    html = page(client.get(f"/tasks/{task_id}"))
    assert 'name="return_to"' in html and "党组织前置审查（政治把关）" in html
    response = decide(client, task_id, "return", "请秘书长复核经费", return_to="sg_review")
    assert response.status_code == 302
    assert open_steps(world, case_id) == ["sg_review"]
    html = page(client.get(f"/cases/{case_id}"))
    assert "退回到 秘书长审核" in html


def test_submitter_recalls_then_withdraws(login: Login, plan_data: dict[str, Any], world: World) -> None:
    client = login("xh_staff")
    case_id = file_plan(client, plan_data)
    html = page(client.get(f"/cases/{case_id}"))
    assert "撤回" in html and "撤销" in html
    response = client.post(f"/cases/{case_id}/recall", follow_redirects=True)
    assert "已撤回" in page(response) and open_steps(world, case_id) == ["draft"]
    response = client.post(f"/cases/{case_id}/withdraw", data={"reason": ""}, follow_redirects=True)
    assert "请填写撤销理由" in page(response)
    response = client.post(f"/cases/{case_id}/withdraw", data={"reason": "计划调整"}, follow_redirects=True)
    html = page(response)
    assert "事项已撤销" in html and "计划调整" in html
    assert '<span class="tag tag-withdrawn">已撤销</span>' in html and "已撤回</span>" not in html


def test_copy_read_and_urge_from_the_case_page(login: Login, plan_data: dict[str, Any], world: World) -> None:
    client = login("xh_staff")
    case_id = file_plan(client, plan_data)
    response = client.post(f"/cases/{case_id}/copy", data={"users": ["xh_finance"], "note": "请知悉"},
                           follow_redirects=True)
    assert "已抄送" in page(response) and "抄送给 测试xh_finance" in page(response)
    response = client.post(f"/cases/{case_id}/urge", data={"message": "请尽快"}, follow_redirects=True)
    assert "已催办" in page(response)
    response = client.post(f"/cases/{case_id}/urge", follow_redirects=True)
    assert "每小时最多催办一次" in page(response)
    client = login("xh_finance")
    html = page(client.get("/copied"))
    assert "2027 年度工作计划" in html and "未读" in html
    response = client.post(f"/cases/{case_id}/read", follow_redirects=True)
    assert "已标记为已阅" in page(response)
    assert "已阅" in page(client.get("/copied"))


def test_print_sheet_lists_every_opinion_with_signature_lines(login: Login, plan_data: dict[str, Any],
                                                             world: World) -> None:
    case_id = file_plan(login("xh_staff"), plan_data)
    approve_to(world, case_id, "president_review")
    client = login("xh_sg")
    html = page(client.get(f"/cases/{case_id}/print"))
    assert "审批单" in html and html.count('class="opinion-row"') == 4
    assert html.count("（签名）") == 4 and "秘书长审核" in html and "党组织前置审查" in html
    assert "财务审核年度收支预算" in html
    assert login("yh_sg").get(f"/cases/{case_id}/print").status_code == 404
    assert PARTY


def test_delegate_and_reply_from_the_task_page(login: Login, plan_data: dict[str, Any], world: World) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    html = page(client.get(f"/tasks/{task_id}"))
    assert f'action="/tasks/{task_id}/delegate"' in html and f'action="/tasks/{task_id}/signers"' in html
    assert f'action="/tasks/{task_id}/transfer"' not in html, "nobody else holds the role, so no 转办 is offered"
    response = client.post(f"/tasks/{task_id}/delegate", data={"user": "xh_finance", "note": "请提意见"},
                           follow_redirects=True)
    assert "已委派" in page(response)
    client = login("xh_finance")
    html = page(client.get(f"/tasks/{task_id}"))
    assert "回复委派意见" in html and 'name="decision"' not in html
    response = client.post(f"/tasks/{task_id}/reply", data={"opinion": "经费合理"}, follow_redirects=True)
    assert "已回复意见" in page(response)
    client = login("xh_sg")
    assert only_task(client) == task_id
    response = client.post(f"/tasks/{task_id}/signers", data={"user": "xh_president", "position": "before"},
                           follow_redirects=True)
    assert "已加签" in page(response)
    html = page(client.get(f"/tasks/{task_id}"))
    assert "前加签" in html and "减签" in html
    history = page(client.get(f"/cases/{world_case(client, task_id)}"))
    assert "委派" in history and "委派回复" in history and "经费合理" in history and "加签" in history


def world_case(client: FlaskClient, task_id: int) -> int:
    match = re.search(r'href="/cases/(\d+)"', page(client.get(f"/tasks/{task_id}")))
    assert match
    return int(match.group(1))


def test_batch_approval_from_the_inbox(login: Login, plan_data: dict[str, Any], world: World) -> None:
    staff = login("xh_staff")
    first, second = file_plan(staff, plan_data, "甲计划"), file_plan(staff, plan_data, "乙计划")
    client = login("xh_sg")
    html = page(client.get("/"))
    ids = [int(i) for i in re.findall(r'name="task_ids" value="(\d+)"', html)]
    assert len(ids) == 2 and "批量同意" in html
    response = client.post("/tasks/batch", data={"task_ids": [str(i) for i in ids] + ["99999"], "comment": "同意",
                                                 "checks_confirmed": "1"},
                           follow_redirects=True)
    html = page(response)
    assert "已同意 2 件" in html and "任务 99999 未能审批" in html
    assert open_steps(world, first) == ["finance_check"] == open_steps(world, second)


def test_settings_page_saves_phrases_and_a_proxy(login: Login, plan_data: dict[str, Any], world: World) -> None:
    from datetime import timedelta

    from engine.clock import beijing_today
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    assert "已保存常用语" in page(client.post("/settings/phrases", data={"text": "请补充预算明细。"}, follow_redirects=True))
    html = page(client.get(f"/tasks/{only_task(client)}"))
    assert 'data-phrase="请补充预算明细。"' in html and 'data-phrase="已阅。"' in html
    today = beijing_today()
    response = client.post("/settings/proxy", data={"proxy": "xh_party", "starts_on": today.isoformat(),
                                                     "ends_on": (today + timedelta(days=1)).isoformat()},
                           follow_redirects=True)
    assert "已设置代理人" in page(response) and "测试xh_party" in page(response)
    assert "代理期限无效" in page(client.post("/settings/proxy", data={"proxy": "xh_president", "starts_on": "2020-01-01",
                                                                    "ends_on": "2020-01-02"}, follow_redirects=True))
    assert only_task(login("xh_party"))

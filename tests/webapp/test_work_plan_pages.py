"""The annual work plan from filing to 已备案, through the HTML pages and forms, with the right users."""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from engine import journal as audit

from ..conftest import World, add_test_user
from .helpers import (
    PLAN_TITLE,
    council_form,
    decide,
    file_plan,
    only_task,
    page,
    plan_form,
)

Login = Callable[[str], FlaskClient]


def test_start_page_offers_the_plan_with_its_form(login: Login) -> None:
    client = login("xh_staff")
    index = page(client.get("/start"))
    assert "年度工作计划前置审查" in index and 'href="/start/annual_plan"' in index
    form = page(client.get("/start/annual_plan"))
    assert 'name="_title"' in form and "计划年度" in form and 'data-subtable="key_tasks"' in form
    assert 'type="hidden" name="_org"' in form and "天津市测试学会" in form
    assert "暂无可发起的流程" in page(login("xh_sg").get("/start"))
    assert login("xh_sg").get("/start/annual_plan").status_code == 404


def review(login: Login, username: str, decision: str, comment: str = "", **data: str) -> FlaskClient:
    """Log in as ``username`` and decide the one task in their 待办 through the task page's form."""
    client = login(username)
    response = decide(client, only_task(client), decision, comment, **data)
    assert response.status_code == 302 and response.headers["Location"] == "/", page(response)
    return client


def test_work_plan_runs_from_filing_to_filed(login: Login, plan_data: dict[str, Any]) -> None:
    case_id = file_plan(login("xh_staff"), plan_data)
    sg_reviews_the_filed_plan(login)
    review(login, "xh_finance", "approve", budget_checked="1")
    client = review(login, "xh_party", "return", "请补充党建工作计划的具体安排")
    assert "已退回修改：党组织前置审查" in page(client.get("/"))
    staff_revises_and_resubmits(login, plan_data)
    review(login, "xh_sg", "approve")
    review(login, "xh_finance", "approve", budget_checked="1", finance_opinion="预算与上年决算衔接。")
    review(login, "xh_party", "approve", "同意。", party_review_opinion="政治方向正确，同意提交理事长审定。")
    review(login, "xh_president", "approve", submit_to_council="1")
    review(login, "xh_sg", "approve", **council_form())
    review(login, "cast", "approve", filing_number="TAST-2027-001", filing_date="2027-01-15")
    case_page = page(login("xh_staff").get(f"/cases/{case_id}"))
    for text in ("已备案", "发起", "退回修改", "请补充党建工作计划的具体安排", "党组织前置审查", "每季度开展一次主题党日。",
                 "开展主题党日活动 4 次。", "修改前", "办结", "测试cast", "TAST-2027-001",
                 "财务审核年度收支预算", "常务理事会"):
        assert text in case_page, text
    started = page(login("xh_staff").get("/started"))
    assert PLAN_TITLE in started and "已备案" in started
    done = page(login("xh_party").get("/done"))
    assert PLAN_TITLE in done and "退回修改" in done and "同意" in done


def test_filing_confirms_the_case_number(login: Login, plan_data: dict[str, Any]) -> None:
    response = login("xh_staff").post("/start/annual_plan", data=plan_form(plan_data), follow_redirects=True)
    body = page(response)
    assert response.status_code == 200 and "已提交，编号 XH-" in body and "-JH-0001" in body
    assert PLAN_TITLE in body and "2027 学术年会" in body and "秘书长审核" in body and "审批中" in body


def sg_reviews_the_filed_plan(login: Login) -> None:
    client = login("xh_sg")
    task_page = page(client.get(f"/tasks/{only_task(client)}"))
    for text in ("重点工作清单", "2027 学术年会", "80,000", 'value="approve"', 'value="return"', 'value="reject"',
                 "测试xh_staff", "天津市测试学会", "已核对业务与合规要点"):
        assert text in task_page, text
    review(login, "xh_sg", "approve", sg_compliance_checked="1")
    assert "已同意：秘书长审核" in page(client.get("/"))


def staff_revises_and_resubmits(login: Login, plan_data: dict[str, Any]) -> None:
    client = login("xh_staff")
    draft_id = only_task(client)
    draft_page = page(client.get(f"/tasks/{draft_id}"))
    assert "请补充党建工作计划的具体安排" in draft_page and "修改并重新提交" in draft_page
    assert 'value="2027 学术年会"' in draft_page and ">开展主题党日活动 4 次。</textarea>" in draft_page
    assert 'value="submit"' in draft_page and 'value="approve"' not in draft_page
    revised = {**plan_form(plan_data), "party_building_plan": "每季度开展一次主题党日。"}
    del revised["_title"]
    assert client.post(f"/tasks/{draft_id}", data={"decision": "submit", **revised}).status_code == 302
    assert "已提交：起草年度工作计划" in page(client.get("/"))


def test_inbox_shows_a_task_to_its_role_in_its_society_only(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    inbox = page(login("xh_sg").get("/"))
    for text in (PLAN_TITLE, "XH-", "年度工作计划前置审查", "天津市测试学会", "秘书长审核", "分钟"):
        assert text in inbox, text
    assert '<span class="badge"' in inbox
    for username in ("yh_sg", "xh_party", "xh_staff", "cast"):
        other = page(login(username).get("/"))
        assert PLAN_TITLE not in other and "暂无待办" in other, username


def test_another_society_gets_a_chinese_404_for_the_case_and_the_task(login: Login, plan_data: dict[str, Any],
                                                                       world: World) -> None:
    case_id = file_plan(login("xh_staff"), plan_data)
    task_id = only_task(login("xh_sg"))
    client = login("yh_sg")
    for response in (client.get(f"/cases/{case_id}"), client.get(f"/tasks/{task_id}"),
                     decide(client, task_id, "approve")):
        body = page(response)
        assert response.status_code == 404 and "不存在或您无权访问" in body and PLAN_TITLE not in body
        assert "Traceback" not in body and "回到待办" in body
    assert only_task(login("xh_sg")) == task_id
    with world.sessions() as session:
        assert audit.verify_chain(session).ok


def test_return_without_comment_is_refused_with_422(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    response = decide(client, task_id, "return", "   ")
    body = page(response)
    assert response.status_code == 422
    assert "选择“退回修改”时必须填写审批意见" in body and "审批意见" in body and "请修正以下" in body
    assert only_task(client) == task_id


def test_invalid_task_form_data_shows_messages_by_the_fields(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    assert decide(client, only_task(client), "approve").status_code == 302
    client = login("xh_finance")
    assert decide(client, only_task(client), "approve", budget_checked="1").status_code == 302
    client = login("xh_party")
    task_id = only_task(client)
    response = decide(client, task_id, "approve", "我的意见", party_meeting_date="2027-02-30")
    body = page(response)
    assert response.status_code == 422
    assert 'id="e-party_meeting_date">日期格式应为 YYYY-MM-DD</p>' in body
    assert 'value="2027-02-30"' in body and ">我的意见</textarea>" in body
    response = decide(client, task_id, "approve", "", party_meeting_date="2027-02-01")
    body = page(response)
    assert response.status_code == 422, "the party's opinion is required, and asked for once: in the opinion box"
    assert body.count("<textarea") == 1 and 'for="comment">党组织审查意见' in body
    assert '<p class="field-error">必填</p>' in body and only_task(client) == task_id


def test_invalid_start_data_is_shown_field_by_field_and_kept(login: Login, plan_data: dict[str, Any]) -> None:
    client = login("xh_staff")
    form = {**plan_form(plan_data, title="我的计划"), "plan_year": "abc", "income_total": "-5",
            "key_tasks-0-name": "", "key_tasks-0-month": "13"}
    response = client.post("/start/annual_plan", data=form)
    body = page(response)
    assert response.status_code == 422
    assert 'id="e-plan_year">格式不正确（应为整数）</p>' in body and 'value="abc"' in body
    assert 'id="e-income_total">不能小于 0</p>' in body
    assert 'id="e-key_tasks-0-name">必填</p>' in body and 'id="e-key_tasks-0-month">不能大于 12</p>' in body
    assert 'value="我的计划"' in body and "重点工作清单 第 1 行 · 事项名称" in body
    assert "您还没有发起过事项" in page(client.get("/started"))


def test_missing_title_is_reported_by_the_title_field(login: Login, plan_data: dict[str, Any]) -> None:
    response = login("xh_staff").post("/start/annual_plan", data=plan_form(plan_data, title="  "))
    body = page(response)
    assert response.status_code == 422 and '<p class="field-error">请填写标题（不超过 200 字）</p>' in body
    assert "标题</span>：请填写标题" in body and 'value="2027 学术年会"' in body


def test_filing_for_an_organisation_outside_ones_roles_is_404(login: Login, plan_data: dict[str, Any],
                                                              world: World) -> None:
    form = {**plan_form(plan_data), "_org": str(world.org_ids["YH"])}
    response = login("xh_staff").post("/start/annual_plan", data=form)
    assert response.status_code == 404 and "所选学会不存在" in page(response)


def test_task_page_is_read_only_for_those_who_may_not_act(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    task_id = only_task(login("xh_sg"))
    for username, note in (("xh_staff", "您是本事项的发起人，不能审批本人发起的事项"), ("xh_party", "此步骤由秘书长办理")):
        body = page(login(username).get(f"/tasks/{task_id}"))
        assert note in body and 'value="approve"' not in body and "2027 学术年会" in body
    assert decide(login("xh_party"), task_id, "approve").status_code == 404


def test_deciding_a_task_twice_is_a_409_conflict(login: Login, plan_data: dict[str, Any]) -> None:
    file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    task_id = only_task(client)
    assert decide(client, task_id, "approve").status_code == 302
    response = decide(client, task_id, "approve")
    body = page(response)
    assert response.status_code == 409 and "该任务已被处理" in body and "以下为只读内容" in body


def test_reject_ends_the_case_as_rejected(login: Login, plan_data: dict[str, Any]) -> None:
    case_id = file_plan(login("xh_staff"), plan_data)
    client = login("xh_sg")
    assert decide(client, only_task(client), "reject", "与学会章程不符").status_code == 302
    assert "已不同意：秘书长审核" in page(client.get("/"))
    case_page = page(login("xh_staff").get(f"/cases/{case_id}"))
    assert "已驳回" in case_page and "与学会章程不符" in case_page


def test_list_pages_accept_any_page_parameter(login: Login) -> None:
    client = login("xh_staff")
    for path in ("/?page=abc", "/done?page=-1", "/started?page=999999999", "/?page=3"):
        assert client.get(path).status_code == 200, path


def test_staff_of_two_societies_chooses_the_society(login: Login, plan_data: dict[str, Any], world: World) -> None:
    with world.sessions() as session, session.begin():
        add_test_user(session, "two_staff", [("staff", world.org_ids["XH"]), ("staff", world.org_ids["YH"])])
    client = login("two_staff")
    form_page = page(client.get("/start/annual_plan"))
    assert '<select id="f-_org" name="_org"' in form_page and "天津市另一学会" in form_page
    response = client.post("/start/annual_plan", data={**plan_form(plan_data), "_org": str(world.org_ids["YH"])})
    assert response.status_code == 302
    assert "YH-" in page(client.get(response.headers["Location"]))
    assert PLAN_TITLE in page(login("yh_sg").get("/")) and PLAN_TITLE not in page(login("xh_sg").get("/"))
    tast = {**plan_form(plan_data), "_org": str(world.org_ids["TAST"])}
    assert login("two_staff").post("/start/annual_plan", data=tast).status_code == 404

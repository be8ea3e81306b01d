"""Item 5 — a review form's checks bind the decision: 同意 with 预算余额充足 = 否 (or any check answered
otherwise) is refused, naming the check; 退回修改 and 不同意 stay possible; 批量审批 refuses each such case
with the same message. Through the engine, the API (/api/v1), the web form and 批量审批.

秘书长审核 (forms/sg_review.json) requires “已核对业务与合规要点”; in 批量审批 the reviewer confirms it once
for the batch (``checks_confirmed`` / the tick box), which fills it for each case."""
from __future__ import annotations

import json
import re
from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

import forms as form_lib
from forms import FormError, check_form_schema

from ..api.conftest import Api
from ..conftest import World
from ..review.helpers import approve_to
from ..review.helpers import start as start_plan
from ..review_checks import SG_UNTICKED
from ..webapp.helpers import decide, page
from .helpers import case_state, expense, open_task, start

BAR_CHECK = re.compile(r'<label class="check action-check[^"]*" for="f-[^"]+"><input type="checkbox"[^>]*>([^<]+)<')


def bar_checks(html: str) -> list[str]:
    """The titles of the ticks that sit beside 同意 in the task page's fixed action bar."""
    bar = html[html.index('<div class="action-checks"'):html.index('<div class="decision-bar">')]
    return BAR_CHECK.findall(bar)

Login = Callable[[str], FlaskClient]
BUDGET_SHORT = {"budget_balance_ok": False, "fund_source_ok": True}

CHECKS = {
    "branch_sg_review": {"no_overlap": True, "host_checked": True},
    "donation_fa_review": {"fund_source_proof_checked": True},
    "donation_receipt": {"agreement_signed": True},
    "event_publicity": {"publicity_approved": True},
    "expense_finance_check": {"budget_balance_ok": True, "fund_source_ok": True},
    "fee_finance_check": {"cost_checked": True},
    "foreign_fa_review": {"partner_checked": True, "one_china_checked": True},
    "plan_finance_check": {"budget_checked": True},
    "sg_review": {"sg_compliance_checked": True},
}


def test_every_review_form_with_checks_declares_what_approval_requires() -> None:
    declared = {key: schema[form_lib.REQUIRED_FOR_APPROVE] for key, schema in form_lib.load_forms().items()
                if form_lib.REQUIRED_FOR_APPROVE in schema}
    assert declared == CHECKS


@pytest.mark.parametrize("confirm", ["true", 1])
def test_batch_confirmation_is_a_flag_on_a_form_with_checks(confirm: Any) -> None:
    schema = json.loads((form_lib.FORMS_DIR / "sg_review.json").read_text(encoding="utf-8"))
    with pytest.raises(FormError, match=form_lib.BATCH_CONFIRM):
        check_form_schema("sg_review", {**schema, form_lib.BATCH_CONFIRM: confirm})
    without_checks = {k: v for k, v in schema.items() if k != form_lib.REQUIRED_FOR_APPROVE}
    with pytest.raises(FormError, match=form_lib.BATCH_CONFIRM):
        check_form_schema("sg_review", without_checks)


@pytest.mark.parametrize("rule", [{"missing": True}, {"budget_balance_ok": "是"}, ["budget_balance_ok"]])
def test_a_form_cannot_require_an_undeclared_or_mistyped_answer(rule: Any) -> None:
    schema = json.loads((form_lib.FORMS_DIR / "expense_finance_check.json").read_text(encoding="utf-8"))
    with pytest.raises(FormError, match=form_lib.REQUIRED_FOR_APPROVE):
        check_form_schema("expense_finance_check", {**schema, form_lib.REQUIRED_FOR_APPROVE: rule})


def test_api_refuses_approval_with_budget_insufficient_and_changes_nothing(world: World, api: Api) -> None:
    case_id = start(world, "large_expense", expense(380000))
    task = open_task(world, case_id)
    before = case_state(world, case_id)
    response = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=task.id,
                        json={"decision": "approve", "comment": "同意", "data": BUDGET_SHORT})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert "“预算余额充足”" in error["message"] and "不能同意" in error["message"]
    assert "须为“是”才能同意（当前：否）" in error["fields"]["budget_balance_ok"]
    assert "fund_source_ok" not in error["fields"]
    assert case_state(world, case_id) == before
    response = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=task.id,
                        json={"decision": "return", "comment": "预算余额不足，请调整预算后再报", "data": BUDGET_SHORT})
    assert response.status_code == 200
    assert [t["step"] for t in response.get_json()["tasks"] if t["status"] == "open"] == ["draft"]


def test_web_form_refuses_approval_with_an_unticked_check_and_allows_rejection(world: World, login: Login) -> None:
    case_id = start(world, "large_expense", expense(380000))
    task = open_task(world, case_id)
    before = case_state(world, case_id)
    client = login("xh_finance")
    assert bar_checks(page(client.get(f"/tasks/{task.id}"))) == ["预算余额充足", "资金来源与用途相符"]
    response = decide(client, task.id, "approve", "同意", fund_source_ok="1")
    assert response.status_code == 422
    html = page(response)
    assert "“预算余额充足”须为“是”才能同意（当前：否）" in html
    assert case_state(world, case_id) == before
    response = decide(client, task.id, "reject", "预算余额不足，不同意支出", fund_source_ok="1")
    assert response.status_code == 302
    assert case_state(world, case_id)[0] == "rejected"


def test_engine_names_every_failed_check(world: World) -> None:
    from engine.errors import InvalidData

    from .helpers import act
    case_id = start(world, "large_expense", expense(380000))
    with pytest.raises(InvalidData) as refused:
        act(world, "xh_finance", case_id, data={"budget_balance_ok": False, "fund_source_ok": False})
    assert refused.value.message == "核对未通过，不能同意：“预算余额充足”、“资金来源与用途相符”"
    act(world, "xh_finance", case_id, data={"budget_balance_ok": True, "fund_source_ok": True})
    assert open_task(world, case_id).bpmn_id == "sg_review"


def test_batch_approval_refuses_each_case_whose_checks_are_not_confirmed(world: World, api: Api,
                                                                          plan_data: dict[str, Any]) -> None:
    cases = [start_plan(world, plan_data, title=f"计划{n}") for n in range(2)]
    for case_id in cases:
        approve_to(world, case_id, "finance_check")
    ids = [open_task(world, c).id for c in cases]
    before = [case_state(world, c)[:3] for c in cases]
    response = api.post("xh_finance", "/tasks/batch-approve", json={"task_ids": ids, "comment": "同意。"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["approved"] == 0 and body["failed"] == 2
    for result in body["results"]:
        assert result["message"].startswith("核对未通过，不能同意：“收支预算已核对，资金来源合规”")
        assert "（需填写表单：收支预算已核对，资金来源合规，请逐件办理）" in result["message"]
        assert result["missing_fields"] == ["收支预算已核对，资金来源合规"]
    assert [case_state(world, c)[:3] for c in cases] == before


def test_web_batch_approval_shows_the_same_refusal(world: World, login: Login, plan_data: dict[str, Any]) -> None:
    case_id = start_plan(world, plan_data)
    approve_to(world, case_id, "finance_check")
    task = open_task(world, case_id)
    client = login("xh_finance")
    response = client.post("/tasks/batch", data={"task_ids": [str(task.id)], "comment": "同意。"},
                           follow_redirects=True)
    assert "核对未通过，不能同意：“收支预算已核对，资金来源合规”" in page(response)
    assert open_task(world, case_id).bpmn_id == "finance_check"


SG_CHECK = "“已核对业务与合规要点”"


def test_api_refuses_the_secretary_generals_approval_without_the_check(world: World, api: Api,
                                                                       plan_data: dict[str, Any]) -> None:
    case_id = start_plan(world, plan_data)
    task = open_task(world, case_id)
    assert task.bpmn_id == "sg_review"
    before = case_state(world, case_id)
    for data in ({}, SG_UNTICKED):
        response = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task.id,
                            json={"decision": "approve", "comment": "同意", "data": data})
        assert response.status_code == 422
        error = response.get_json()["error"]
        assert error["message"] == f"核对未通过，不能同意：{SG_CHECK}"
        assert "须为“是”才能同意" in error["fields"]["sg_compliance_checked"]
    assert case_state(world, case_id) == before
    response = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task.id,
                        json={"decision": "approve", "comment": "同意", "data": {"sg_compliance_checked": True}})
    assert response.status_code == 200
    assert open_task(world, case_id).bpmn_id == "finance_check"


def test_the_secretary_general_may_still_return_without_the_check(world: World, api: Api,
                                                                  plan_data: dict[str, Any]) -> None:
    case_id = start_plan(world, plan_data)
    task = open_task(world, case_id)
    response = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task.id,
                        json={"decision": "return", "comment": "请补充重点工作的经费来源", "data": SG_UNTICKED})
    assert response.status_code == 200
    assert open_task(world, case_id).bpmn_id == "draft"


def test_web_form_refuses_the_secretary_generals_approval_without_the_tick(world: World, login: Login,
                                                                           plan_data: dict[str, Any]) -> None:
    case_id = start_plan(world, plan_data)
    task = open_task(world, case_id)
    before = case_state(world, case_id)
    client = login("xh_sg")
    assert bar_checks(page(client.get(f"/tasks/{task.id}"))) == ["已核对业务与合规要点"]
    response = decide(client, task.id, "approve", "同意", sg_compliance_checked="")
    assert response.status_code == 422
    assert "“已核对业务与合规要点”须为“是”才能同意（当前：否）" in page(response)
    assert case_state(world, case_id) == before
    response = decide(client, task.id, "approve", "同意", sg_compliance_checked="1")
    assert response.status_code == 302
    assert open_task(world, case_id).bpmn_id == "finance_check"
    assert case_state(world, case_id)[1]["sg_compliance_checked"] is True


def test_batch_approval_of_secretary_general_steps_needs_the_confirmation(world: World, api: Api,
                                                                          plan_data: dict[str, Any]) -> None:
    cases = [start_plan(world, plan_data, title=f"计划{n}") for n in range(2)]
    ids = [open_task(world, c).id for c in cases]
    before = [case_state(world, c)[:3] for c in cases]
    response = api.post("xh_sg", "/tasks/batch-approve", json={"task_ids": ids, "comment": "同意。"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["approved"] == 0 and body["failed"] == 2
    for result in body["results"]:
        assert result["message"].startswith(f"核对未通过，不能同意：{SG_CHECK}")
        assert "请勾选“已逐件核对所选事项的核对项”" in result["message"]
    assert [case_state(world, c)[:3] for c in cases] == before
    response = api.post("xh_sg", "/tasks/batch-approve",
                        json={"task_ids": ids, "comment": "同意。", "checks_confirmed": True})
    assert response.status_code == 200
    assert response.get_json()["approved"] == 2
    for case_id in cases:
        assert open_task(world, case_id).bpmn_id == "finance_check"
        assert case_state(world, case_id)[1]["sg_compliance_checked"] is True


def test_the_batch_confirmation_never_fills_a_finance_check(world: World, api: Api,
                                                            plan_data: dict[str, Any]) -> None:
    case_id = start_plan(world, plan_data)
    approve_to(world, case_id, "finance_check")
    task = open_task(world, case_id)
    response = api.post("xh_finance", "/tasks/batch-approve",
                        json={"task_ids": [task.id], "checks_confirmed": True})
    [result] = response.get_json()["results"]
    assert not result["ok"] and result["message"].startswith("核对未通过，不能同意：“收支预算已核对，资金来源合规”")
    assert open_task(world, case_id).bpmn_id == "finance_check"


@pytest.mark.parametrize("confirmed", ["yes", 1, None])
def test_the_api_refuses_a_confirmation_that_is_not_a_boolean(world: World, api: Api, plan_data: dict[str, Any],
                                                              confirmed: Any) -> None:
    case_id = start_plan(world, plan_data)
    task = open_task(world, case_id)
    response = api.post("xh_sg", "/tasks/batch-approve", json={"task_ids": [task.id], "checks_confirmed": confirmed})
    assert response.status_code in (400, 422)
    assert "checks_confirmed" in json.dumps(response.get_json(), ensure_ascii=False)
    assert open_task(world, case_id).bpmn_id == "sg_review"


def test_web_batch_approval_of_secretary_general_steps_with_and_without_the_tick(
        world: World, login: Login, plan_data: dict[str, Any]) -> None:
    cases = [start_plan(world, plan_data, title=f"计划{n}") for n in range(2)]
    ids = [str(open_task(world, c).id) for c in cases]
    client = login("xh_sg")
    assert 'name="checks_confirmed"' in page(client.get("/"))
    response = client.post("/tasks/batch", data={"task_ids": ids, "comment": "同意。"}, follow_redirects=True)
    assert f"核对未通过，不能同意：{SG_CHECK}" in page(response)
    assert [open_task(world, c).bpmn_id for c in cases] == ["sg_review", "sg_review"]
    response = client.post("/tasks/batch", data={"task_ids": ids, "comment": "同意。", "checks_confirmed": "1"},
                           follow_redirects=True)
    assert "批量审批：已同意 2 件" in page(response)
    assert [open_task(world, c).bpmn_id for c in cases] == ["finance_check", "finance_check"]

"""The reviewer workspace through the JSON API: filters, 退回 targets, 撤回, 撤销, 抄送, 已阅, 催办."""
from __future__ import annotations

from typing import Any

from engine.review.models import TaskSigner
from webapp.extensions import db_session

from ..api.conftest import Api
from ..api.flow import act, approve_until, file_plan, open_task_id
from ..plan_walk import FINANCE
from ..review_checks import SG_CHECKS


def test_list_filters_search_and_counts(api: Api, plan_data: dict[str, Any]) -> None:
    first = file_plan(api, plan_data, title="甲计划")
    file_plan(api, plan_data, title="乙计划")
    page = api.get("xh_sg", "/tasks", query={"q": first["number"], "sort": "newest"}).get_json()
    assert [i["case_title"] for i in page["items"]] == ["甲计划"] and page["total"] == 1
    page = api.get("xh_sg", "/tasks", query={"process": "annual_plan", "org": "XH", "overdue": "false"}).get_json()
    assert page["total"] == 2
    assert api.get("xh_sg", "/tasks", query={"overdue": "true"}).get_json()["total"] == 0
    counts = api.get("xh_sg", "/inbox/counts").get_json()
    assert counts == {"todo": 2, "done": 0, "started": 0, "copied_unread": 0}
    for bad in ({"sort": "due", "view": "done"}, {"since": "2027-02-30"}, {"org": "YH"}, {"q": "x" * 101}):
        response = api.get("xh_sg", "/tasks", query=bad)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["fields"]


def test_return_to_a_chosen_step(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    case = approve_until(api, case, "president_review")
    task = api.get("xh_president", "/tasks/{task_id}", task_id=open_task_id(case)).get_json()
    assert [(t["step"], t["political"], t["drafting"]) for t in task["return_targets"]] == [
        ("draft", False, True), ("sg_review", False, False), ("finance_check", False, False),
        ("party_review", True, False)]
    response = api.post("xh_president", "/tasks/{task_id}/complete", task_id=task["id"],
                        json={"decision": "return", "comment": "请秘书长复核", "return_to": "sg_review"})
    assert response.status_code == 200
    case = response.get_json()
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["sg_review"]
    case = act(api, "xh_sg", case, "approve")
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["finance_check"]
    case = act(api, "xh_finance", case, "approve", data=FINANCE)
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["party_review"]
    response = api.post("xh_party", "/tasks/{task_id}/complete", task_id=open_task_id(case),
                        json={"decision": "return", "comment": "退回", "return_to": "president_review"})
    assert response.status_code == 422 and "return_to" in response.get_json()["error"]["fields"]
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=open_task_id(case)).get_json()["return_targets"] == []


def test_recall_and_withdraw(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    assert api.post("xh_sg", "/cases/{case_id}/recall", case_id=case["id"], json={}).status_code == 403
    response = api.post("xh_staff", "/cases/{case_id}/recall", case_id=case["id"], json={"reason": "补材料"})
    assert response.status_code == 200
    assert [t["step"] for t in response.get_json()["tasks"] if t["status"] == "open"] == ["draft"]
    assert api.post("xh_staff", "/cases/{case_id}/withdraw", case_id=case["id"], json={}).status_code == 422
    assert api.post("yh_staff", "/cases/{case_id}/withdraw", case_id=case["id"],
                    json={"reason": "x"}).status_code == 404
    response = api.post("xh_staff", "/cases/{case_id}/withdraw", case_id=case["id"], json={"reason": "不再需要"})
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert api.post("xh_staff", "/cases/{case_id}/recall", case_id=case["id"], json={}).status_code == 409
    history = api.get("xh_staff", "/cases/{case_id}/history", case_id=case["id"]).get_json()
    assert [e["action"] for e in history][-2:] == ["case.recalled", "case.withdrawn"]


def test_recall_is_refused_after_a_review(api: Api, plan_data: dict[str, Any]) -> None:
    case = act(api, "xh_sg", file_plan(api, plan_data), "approve")
    response = api.post("xh_staff", "/cases/{case_id}/recall", case_id=case["id"], json={})
    assert response.status_code == 409 and "不能撤回" in response.get_json()["error"]["message"]


def test_copy_read_and_urge(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    response = api.post("xh_staff", "/cases/{case_id}/copies", case_id=case["id"],
                        json={"users": ["xh_finance"], "note": "请知悉"})
    assert response.status_code == 200
    assert api.post("xh_staff", "/cases/{case_id}/copies", case_id=case["id"], json={"users": ["yh_sg"]}).status_code == 422
    assert api.post("xh_staff", "/cases/{case_id}/copies", case_id=case["id"], json={"users": "x"}).status_code == 400
    copies = api.get("xh_finance", "/copies").get_json()
    assert [(c["case_id"], c["read_at"], c["note"]) for c in copies["items"]] == [(case["id"], None, "请知悉")]
    assert api.get("xh_finance", "/tasks", query={"view": "copied"}).get_json()["total"] == 1
    assert api.get("xh_finance", "/inbox/counts").get_json()["copied_unread"] == 1
    assert api.post("xh_finance", "/cases/{case_id}/read", case_id=case["id"], json={}).status_code == 200
    assert api.get("xh_finance", "/copies").get_json()["items"][0]["read_at"] is not None
    assert api.post("xh_sg", "/cases/{case_id}/read", case_id=case["id"], json={}).status_code == 409
    response = api.post("xh_staff", "/cases/{case_id}/urge", case_id=case["id"], json={"message": "请尽快"})
    assert [h["username"] for h in response.get_json()["handlers"]] == ["xh_sg"]
    again = api.post("xh_staff", "/cases/{case_id}/urge", case_id=case["id"], json={})
    assert again.status_code == 409 and "每小时" in again.get_json()["error"]["message"]
    assert api.post("xh_sg", "/cases/{case_id}/urge", case_id=case["id"], json={}).status_code == 403


def test_delegate_reply_and_signers_through_the_api(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    detail = api.post("xh_sg", "/tasks/{task_id}/delegate", task_id=task_id,
                      json={"user": "xh_finance", "note": "请提意见"}).get_json()
    assert detail["holder"]["username"] == "xh_finance" and detail["decisions"] == []
    seen = api.get("xh_finance", "/tasks/{task_id}", task_id=task_id).get_json()
    assert seen["decisions"] == []
    refused = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=task_id,
                       json={"decision": "approve", "data": SG_CHECKS})
    assert refused.status_code == 403
    assert api.post("xh_finance", "/tasks/{task_id}/reply", task_id=task_id, json={}).status_code == 422
    detail = api.post("xh_finance", "/tasks/{task_id}/reply", task_id=task_id, json={"opinion": "可行"}).get_json()
    assert detail["holder"]["username"] == "xh_sg"
    bad = api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": "xh_president", "position": "x"})
    assert bad.status_code == 422
    api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": "xh_president", "position": "after"})
    assert api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id,
                    json={"decision": "approve", "data": SG_CHECKS}).status_code == 200
    detail = api.get("xh_president", "/tasks/{task_id}", task_id=task_id).get_json()
    assert detail["status"] == "open" and detail["decisions"] == ["approve", "reject"]
    assert api.post("xh_president", "/tasks/{task_id}/complete", task_id=task_id,
                    json={"decision": "approve", "data": SG_CHECKS}).status_code == 200
    case = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id,
                    json={"decision": "approve", "data": SG_CHECKS}).get_json()
    assert [t["step"] for t in case["tasks"] if t["status"] == "open"] == ["finance_check"]
    actions = [e["action"] for e in api.get("xh_sg", "/cases/{case_id}/history", case_id=case["id"]).get_json()]
    assert actions[-6:] == ["task.delegated", "task.delegate_resolved", "task.signer_added", "task.signed",
                            "task.signer_opinion", "task.completed"]


def test_transfer_and_remove_signer_through_the_api(api: Api, plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    assert api.post("xh_sg", "/tasks/{task_id}/transfer", task_id=task_id, json={"user": "xh_finance"}).status_code == 422
    assert api.post("yh_sg", "/tasks/{task_id}/transfer", task_id=task_id, json={"user": "xh_sg"}).status_code == 404
    api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": "xh_finance", "position": "before"})
    history = api.get("xh_sg", "/cases/{case_id}/history", case_id=case["id"]).get_json()
    assert history[-1]["action"] == "task.signer_added"
    signer_id = _only_signer_id(api)
    assert api.post("xh_finance", "/signers/{signer_id}/remove", signer_id=signer_id, json={}).status_code == 403
    detail = api.post("xh_sg", "/signers/{signer_id}/remove", signer_id=signer_id, json={}).get_json()
    assert detail["holder"]["username"] == "xh_sg"
    assert api.post("xh_sg", "/signers/{signer_id}/remove", signer_id=signer_id, json={}).status_code == 409


def _only_signer_id(api: Api) -> int:
    with api.client.application.app_context():
        [signer] = db_session().query(TaskSigner).all()
        return signer.id


def test_batch_phrases_proxies_and_notifications_through_the_api(api: Api, plan_data: dict[str, Any]) -> None:
    from datetime import timedelta

    from engine.clock import beijing_today
    first, second = file_plan(api, plan_data, title="甲"), file_plan(api, plan_data, title="乙")
    result = api.post("xh_sg", "/tasks/batch-approve", json={
        "task_ids": [open_task_id(first), open_task_id(second), 999999], "comment": "同意。",
        "checks_confirmed": True}).get_json()
    assert [r["ok"] for r in result["results"]] == [True, True, False]
    assert (result["approved"], result["failed"]) == (2, 1)
    for case in (first, second):
        act(api, "xh_finance", api.get("xh_staff", "/cases/{case_id}", case_id=case["id"]).get_json(), "approve",
            data=FINANCE)
    assert api.post("xh_sg", "/tasks/batch-approve", json={"task_ids": []}).status_code == 422
    created = api.post("xh_sg", "/phrases", json={"text": "请补充附件。"})
    assert created.status_code == 201
    assert api.get("xh_sg", "/phrases").get_json()[0] == {"id": created.get_json()["id"], "text": "请补充附件。",
                                                          "own": True}
    assert api.post("xh_sg", "/phrases", json={"text": "请补充附件。"}).status_code == 409
    assert api.post("xh_party", "/phrases/{phrase_id}/delete", phrase_id=created.get_json()["id"],
                    json={}).status_code == 404
    today = beijing_today()
    rule = api.post("xh_party", "/proxies", json={"proxy": "xh_president", "starts_on": today.isoformat(),
                                                   "ends_on": (today + timedelta(days=2)).isoformat()})
    assert rule.status_code == 201 and rule.get_json()["proxy"]["username"] == "xh_president"
    assert api.post("xh_party", "/proxies", json={"proxy": "xh_president", "starts_on": "2027-02-30",
                                                   "ends_on": "2027-03-01"}).status_code == 422
    assert rule.get_json()["limits"] and "政治把关" in rule.get_json()["limits"][0]
    assert api.get("xh_president", "/tasks").get_json()["total"] == 0  # political steps never go to a proxy
    assert len(api.get("xh_party", "/proxies").get_json()) == 1
    cancelled = api.post("xh_party", "/proxies/{rule_id}/cancel", rule_id=rule.get_json()["id"], json={})
    assert cancelled.get_json()["cancelled"] is True
    assert api.get("xh_president", "/tasks").get_json()["total"] == 0
    notes = api.get("xh_party", "/notifications").get_json()
    assert notes["unread"] == 2 and notes["items"][0]["kind"] == "task"
    assert api.post("xh_party", "/notifications/read", json={}).get_json() == {"marked": 2}

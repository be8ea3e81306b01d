"""Item 2 — separation of duties: one person decides at most one review level of a case.

The bypass: the 秘书长 who approved a case could decide another level of it — the 理事长's approval as the
理事长's proxy, as a transferee, or as an added signer. Deciding the same step again after a 退回 stays allowed,
and so do the pairs a diagram allows on purpose (``sameDeciderAllowed``: e.g. the 秘书长 and the 党组织书记 of
an academic event confirm its summary — tests/processes/test_academic_event.py walks that with one of each).
"""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from ..api.conftest import Api
from ..api.flow import act, approve_until, file_plan, open_step, open_task_id
from ..conftest import World
from ..review_checks import SG_CHECKS
from ..webapp.helpers import decide, page
from .who_helpers import add_person, case_state, proxy_dates

Login = Callable[[str], FlaskClient]


def at_president_review(api: Api, plan_data: dict[str, Any]) -> dict[str, Any]:
    return approve_until(api, file_plan(api, plan_data), "president_review")


def test_the_secretary_general_cannot_approve_as_the_presidents_proxy_through_the_api(
        api: Api, world: World, plan_data: dict[str, Any]) -> None:
    case = at_president_review(api, plan_data)
    task_id = open_task_id(case)
    assert api.post("xh_president", "/proxies", json={"proxy": "xh_sg", **proxy_dates()}).status_code == 201
    before = case_state(world, case["id"])
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=task_id).get_json()["decisions"] == []
    refused = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve"})
    assert refused.status_code == 403
    assert "职责分离" in refused.get_json()["error"]["message"] and "秘书长审核" in refused.get_json()["error"]["message"]
    for decision, comment in (("return", "请修改"), ("reject", "不同意")):
        assert api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id,
                        json={"decision": decision, "comment": comment}).status_code == 403
    batch = api.post("xh_sg", "/tasks/batch-approve", json={"task_ids": [task_id], "comment": "同意"}).get_json()
    assert batch["approved"] == 0 and "职责分离" in batch["results"][0]["message"]
    assert case_state(world, case["id"]) == before
    assert act(api, "xh_president", case, "approve")["status"] == "running"


def test_the_secretary_general_cannot_approve_as_the_presidents_proxy_in_the_web(
        login: Login, api: Api, world: World, plan_data: dict[str, Any]) -> None:
    case = at_president_review(api, plan_data)
    task_id = open_task_id(case)
    assert api.post("xh_president", "/proxies", json={"proxy": "xh_sg", **proxy_dates()}).status_code == 201
    before = case_state(world, case["id"])
    html = page(login("xh_sg").get(f"/tasks/{task_id}"))
    assert "职责分离" in html and "秘书长审核" in html and 'value="approve"' not in html
    response = decide(login("xh_sg"), task_id, "approve")
    assert response.status_code == 403 and "职责分离" in page(response)
    batch = login("xh_sg").post("/tasks/batch", data={"task_ids": [str(task_id)], "comment": "同意"},
                                follow_redirects=True)
    assert "职责分离" in page(batch)
    assert case_state(world, case["id"])[:2] == before[:2]


def test_no_transfer_or_add_signer_to_someone_who_decided_another_level(
        login: Login, api: Api, world: World, plan_data: dict[str, Any]) -> None:
    dual = add_person(world, "xh_dual", ("secretary_general", "XH"), ("president", "XH"))
    case = file_plan(api, plan_data)
    case = act(api, dual, case, "approve")  # 秘书长审核 by the person who is also 理事长
    case = approve_until(api, case, "president_review")
    task_id = open_task_id(case)
    before = case_state(world, case["id"])
    transfer = api.post("xh_president", "/tasks/{task_id}/transfer", task_id=task_id, json={"user": dual})
    assert transfer.status_code == 403 and "职责分离" in transfer.get_json()["error"]["message"]
    signer = api.post("xh_president", "/tasks/{task_id}/signers", task_id=task_id,
                      json={"user": dual, "position": "before"})
    assert signer.status_code == 403 and "职责分离" in signer.get_json()["error"]["message"]
    own = api.post(dual, "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve"})
    assert own.status_code == 403
    assert case_state(world, case["id"]) == before
    client = login("xh_president")
    response = client.post(f"/tasks/{task_id}/transfer", data={"user": dual}, follow_redirects=True)
    assert "职责分离" in page(response)
    assert dual not in page(client.get(f"/tasks/{task_id}")).split('id="signer-user"')[1].split("</select>")[0]
    assert case_state(world, case["id"])[:2] == before[:2]


def test_the_same_person_decides_the_same_step_again_after_a_return(api: Api, world: World,
                                                                    plan_data: dict[str, Any]) -> None:
    case = act(api, "xh_sg", file_plan(api, plan_data), "approve")
    case = act(api, "xh_finance", case, "return", comment="预算表缺附件")
    case = act(api, "xh_staff", case, "submit", data=plan_data)
    case = act(api, "xh_sg", case, "approve")
    assert open_step(case) == "finance_check"


def test_deploy_refuses_a_same_decider_pair_naming_no_step() -> None:
    import forms as form_lib
    from engine.errors import DeployRejected
    from engine.runtime.specs import SourceFile, compile_bundle

    from ..conftest import PROJECT_ROOT
    source = (PROJECT_ROOT / "workflows" / "academic_event.bpmn").read_text(encoding="utf-8")
    broken = source.replace('name="sameDeciderAllowed" value="sg_review,publicity_review"',
                            'name="sameDeciderAllowed" value="sg_review,no_such_step"')
    assert broken != source
    try:
        compile_bundle([SourceFile("academic_event.bpmn", broken.encode("utf-8"))],
                       [SourceFile(p.name, p.read_bytes()) for p in (PROJECT_ROOT / "workflows").glob("*.dmn")],
                       form_lib.load_forms())
    except DeployRejected as refused:
        assert any("no_such_step" in p and "sg_confirm" in p for p in refused.problems)
    else:
        raise AssertionError("deploy accepted an unknown step id")


def test_an_approval_handed_to_an_after_signer_counts_as_deciding_the_level(api: Api, world: World,
                                                                           plan_data: dict[str, Any]) -> None:
    second = add_person(world, "xh_sg2", ("secretary_general", "XH"))
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": second, "position": "after"})
    api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve", "data": SG_CHECKS})
    case = act(api, second, case, "approve")  # the step completes in the after-signer's name
    case = approve_until(api, case, "president_review")
    assert api.post("xh_president", "/proxies", json={"proxy": "xh_sg", **proxy_dates()}).status_code == 201
    refused = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=open_task_id(case), json={"decision": "approve"})
    assert refused.status_code == 403 and "职责分离" in refused.get_json()["error"]["message"]

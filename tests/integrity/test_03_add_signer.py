"""Item 3 — 加签: who can be added, and what an added signer's decision does.

The bypass: anyone who could see the case could be added (admin, auditor, 市科协学会部, 监事), and an added
auditor's 不同意 ended the case. Now candidates are active members of the case's society holding a reviewer role
(on a political step only holders of its role); an added signer who does not hold the step's role gives an
opinion (同意/不同意) that goes on record and back to the step's holder; only a holder of the role ends the case.
"""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from ..api.conftest import Api
from ..api.flow import approve_until, file_plan, open_step, open_task_id
from ..conftest import World
from ..review_checks import SG_CHECKS
from ..webapp.helpers import decide, page
from .who_helpers import actions, add_person, case_state

Login = Callable[[str], FlaskClient]


def test_admins_auditors_supervisors_and_outsiders_cannot_be_added(api: Api, world: World,
                                                                   plan_data: dict[str, Any]) -> None:
    add_person(world, "xh_supervisor", ("supervisor", "XH"))
    add_person(world, "xh_auditor", ("auditor", "XH"))
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    before = case_state(world, case["id"])
    for who in ("auditor", "admin", "cast", "xh_supervisor", "xh_auditor", "yh_sg"):
        refused = api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id,
                           json={"user": who, "position": "before"})
        assert refused.status_code == 422, who
    assert case_state(world, case["id"]) == before


def test_only_party_secretaries_can_be_added_to_a_political_step(api: Api, world: World,
                                                                 plan_data: dict[str, Any]) -> None:
    second = add_person(world, "xh_party2", ("party_secretary", "XH"))
    case = approve_until(api, file_plan(api, plan_data), "party_review")
    task_id = open_task_id(case)
    refused = api.post("xh_party", "/tasks/{task_id}/signers", task_id=task_id,
                       json={"user": "xh_president", "position": "before"})
    assert refused.status_code == 422 and "党组织书记" in refused.get_json()["error"]["fields"]["user"]
    assert api.post("xh_party", "/tasks/{task_id}/signers", task_id=task_id,
                    json={"user": second, "position": "before"}).status_code == 200


def test_a_signer_without_the_role_gives_an_opinion_that_goes_back_to_the_holder(api: Api, world: World,
                                                                                 plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": "xh_finance", "position": "before"})
    assert api.get("xh_finance", "/tasks/{task_id}", task_id=task_id).get_json()["decisions"] == ["approve", "reject"]
    returned = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=task_id,
                        json={"decision": "return", "comment": "退回"})
    assert returned.status_code == 422
    opinion = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=task_id,
                       json={"decision": "reject", "comment": "预算超支，不同意"})
    assert opinion.status_code == 200 and opinion.get_json()["status"] == "running"
    assert api.get("xh_sg", "/tasks/{task_id}", task_id=task_id).get_json()["holder"]["username"] == "xh_sg"
    history = api.get("xh_sg", "/cases/{case_id}/history", case_id=case["id"]).get_json()
    assert history[-1]["action"] == "task.signer_opinion"
    assert history[-1]["detail"]["decision"] == "reject" and history[-1]["detail"]["comment"] == "预算超支，不同意"
    done = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id, json={"decision": "approve", "data": SG_CHECKS}).get_json()
    assert open_step(done) == "finance_check"


def test_a_signer_without_the_role_cannot_end_the_case_in_the_web(login: Login, api: Api, world: World,
                                                                  plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    client = login("xh_sg")
    assert "已加签" in page(client.post(f"/tasks/{task_id}/signers", data={"user": "xh_president",
                                                                         "position": "before"}, follow_redirects=True))
    client = login("xh_president")
    html = page(client.get(f"/tasks/{task_id}"))
    assert 'value="reject"' in html and 'value="return"' not in html
    decide(client, task_id, "reject", "不同意")
    assert case_state(world, case["id"])[0] == "running"
    assert actions(world, case["id"])[-1] == "task.signer_opinion"
    assert "加签意见" in page(login("xh_sg").get(f"/cases/{case['id']}"))


def test_a_signer_holding_the_role_still_decides(api: Api, world: World, plan_data: dict[str, Any]) -> None:
    second = add_person(world, "xh_sg2", ("secretary_general", "XH"))
    case = file_plan(api, plan_data)
    task_id = open_task_id(case)
    api.post("xh_sg", "/tasks/{task_id}/signers", task_id=task_id, json={"user": second, "position": "before"})
    ended = api.post(second, "/tasks/{task_id}/complete", task_id=task_id,
                     json={"decision": "reject", "comment": "不符合章程"})
    assert ended.get_json()["status"] == "rejected"

"""Item 1 — 代理人: a proxy never decides a political step, and only a member of the society can be a proxy.

The bypass: a 党组织书记 named the 秘书长 as proxy, and the 秘书长 (who had already approved the case) then signed
the political party_review. Now political steps (``political=true``) are decided only by holders of their role;
they are not offered to a proxy, the API/web refuse the decision, and the settings say so when the proxy is set.
"""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient

from ..api.conftest import Api
from ..api.flow import approve_until, file_plan, open_task_id
from ..conftest import World
from ..review_checks import SG_CHECKS
from ..webapp.helpers import decide, page, task_ids
from .who_helpers import add_person, case_state, proxy_dates

Login = Callable[[str], FlaskClient]


def test_party_secretarys_proxy_gets_nothing_on_the_political_step_through_the_api(
        api: Api, world: World, plan_data: dict[str, Any]) -> None:
    case = approve_until(api, file_plan(api, plan_data), "party_review")
    task_id = open_task_id(case)
    rule = api.post("xh_party", "/proxies", json={"proxy": "xh_sg", **proxy_dates()})
    assert rule.status_code == 201
    assert any("政治把关" in note for note in rule.get_json()["limits"])
    assert task_id not in [t["id"] for t in api.get("xh_sg", "/tasks").get_json()["items"]]
    before = case_state(world, case["id"])
    refused = api.post("xh_sg", "/tasks/{task_id}/complete", task_id=task_id,
                       json={"decision": "approve", "data": {"party_review_opinion": "同意。"}})
    assert refused.status_code == 404
    batch = api.post("xh_sg", "/tasks/batch-approve", json={"task_ids": [task_id], "comment": "同意"}).get_json()
    assert batch["approved"] == 0
    assert case_state(world, case["id"])[:2] == before[:2]
    assert api.get("xh_party", "/tasks").get_json()["items"][0]["id"] == task_id


def test_party_secretarys_proxy_gets_nothing_on_the_political_step_in_the_web(
        login: Login, api: Api, world: World, plan_data: dict[str, Any]) -> None:
    case = approve_until(api, file_plan(api, plan_data), "party_review")
    task_id = open_task_id(case)
    client = login("xh_party")
    response = client.post("/settings/proxy", data={"proxy": "xh_sg", **proxy_dates()}, follow_redirects=True)
    assert "已设置代理人" in page(response) and "政治把关步骤" in page(response)
    assert "政治把关步骤" in page(client.get("/settings"))
    client = login("xh_sg")
    assert task_id not in task_ids(page(client.get("/")))
    before = case_state(world, case["id"])
    assert decide(client, task_id, "approve", party_review_opinion="同意。").status_code == 404
    assert case_state(world, case["id"])[:2] == before[:2]


def test_a_proxy_still_decides_the_principals_ordinary_steps(api: Api, world: World,
                                                            plan_data: dict[str, Any]) -> None:
    case = file_plan(api, plan_data)
    assert api.post("xh_sg", "/proxies", json={"proxy": "xh_fa", **proxy_dates()}).get_json()["limits"] == []
    done = api.post("xh_fa", "/tasks/{task_id}/complete", task_id=open_task_id(case),
                    json={"decision": "approve", "data": SG_CHECKS})
    assert done.status_code == 200
    [decided] = [t for t in done.get_json()["tasks"] if t["step"] == "sg_review"]
    assert decided["completed_by"]["username"] == "xh_fa"


def test_only_an_active_member_of_the_society_can_be_named_proxy(api: Api, world: World) -> None:
    add_person(world, "xh_auditor", ("auditor", "XH"))
    add_person(world, "xh_admin", ("admin", "XH"))
    for principal, proxy in (("xh_party", "xh_auditor"), ("xh_party", "xh_admin"), ("xh_party", "yh_party"),
                             ("cast", "auditor"), ("cast", "admin"), ("xh_party", "nobody")):
        refused = api.post(principal, "/proxies", json={"proxy": proxy, **proxy_dates()})
        assert refused.status_code == 422, (principal, proxy)
        assert "代理人无效" in refused.get_json()["error"]["message"]
    assert api.get("xh_party", "/proxies").get_json() == [] and api.get("cast", "/proxies").get_json() == []


def test_settings_page_refuses_a_proxy_outside_the_society(login: Login, world: World) -> None:
    client = login("cast")
    response = client.post("/settings/proxy", data={"proxy": "auditor", **proxy_dates()}, follow_redirects=True)
    assert "代理人无效" in page(response) and "已设置代理人" not in page(response)

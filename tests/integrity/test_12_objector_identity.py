"""Item 12 — the objector of a 公示 objection is known only to those who handle the objection, and to auditors.

The bypass: the objector's name (``objector`` in the 异议登记 form) was readable by 财务, 外事 and 经办人 through
``GET /api/v1/cases/{id}``, the case history and the case page. The field now declares
``"x-confidential": ["secretary_general", "supervisor"]``: the 秘书长 (who registers the objection), the 监事
(异议处理小组) and auditors read it; everyone else sees it masked in API, web and print.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from flask.testing import FlaskClient

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import act, add_member, open_tasks
from ..processes.test_award_selection import objection, scheme, to_notice
from ..webapp.helpers import page

Login = Callable[[str], FlaskClient]
OBJECTOR = "王异议"


def objection_registered(world: World) -> int:
    add_member(world, "xh_supervisor", "supervisor")
    case_id = to_notice(world, scheme())
    act(world, "xh_sg", case_id, data={"objection_received": True})
    act(world, "xh_sg", case_id, data={**objection(), "objector": OBJECTOR})
    return case_id


def test_the_objector_is_masked_in_the_api_for_everyone_else(api: Api, world: World) -> None:
    case_id = objection_registered(world)
    for reader in ("xh_finance", "xh_fa", "xh_staff", "xh_president", "xh_party", "cast"):
        case = api.get(reader, "/cases/{case_id}", case_id=case_id).get_json()
        assert case["data"]["objector"] != OBJECTOR and "保密" in case["data"]["objector"], reader
        history = api.get(reader, "/cases/{case_id}/history", case_id=case_id).get_json()
        assert OBJECTOR not in json.dumps(history, ensure_ascii=False), reader
    for reader in ("xh_sg", "xh_supervisor", "auditor"):
        assert api.get(reader, "/cases/{case_id}", case_id=case_id).get_json()["data"]["objector"] == OBJECTOR
        history = api.get(reader, "/cases/{case_id}/history", case_id=case_id).get_json()
        assert OBJECTOR in json.dumps(history, ensure_ascii=False), reader


def test_the_decision_response_is_masked_too(api: Api, world: World) -> None:
    case_id = objection_registered(world)
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        task_id = task.id
    done = api.post("xh_supervisor", "/tasks/{task_id}/complete", task_id=task_id, json={
        "decision": "approve", "data": {"conclusion": "异议不成立", "list_changed": False, "findings": "经核实无误。"}})
    assert done.get_json()["data"]["objector"] == OBJECTOR
    case: dict[str, Any] = api.get("xh_staff", "/cases/{case_id}", case_id=case_id).get_json()
    [feedback] = [t for t in case["tasks"] if t["status"] == "open"]
    submitted = api.post("xh_staff", "/tasks/{task_id}/complete", task_id=feedback["id"],
                         json={"decision": "submit", "data": {"feedback_date": "2027-06-10"}})
    assert submitted.status_code == 200 and submitted.get_json()["data"]["objector"] != OBJECTOR


def test_the_objector_is_masked_on_the_case_task_and_print_pages(login: Login, world: World) -> None:
    case_id = objection_registered(world)
    for reader in ("xh_finance", "xh_fa", "xh_staff"):
        client = login(reader)
        assert OBJECTOR not in page(client.get(f"/cases/{case_id}")), reader
        assert OBJECTOR not in page(client.get(f"/cases/{case_id}/print")), reader
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        task_id = task.id
    assert OBJECTOR not in page(login("xh_staff").get(f"/tasks/{task_id}"))
    assert OBJECTOR in page(login("xh_sg").get(f"/cases/{case_id}"))
    assert OBJECTOR in page(login("xh_supervisor").get(f"/tasks/{task_id}"))


def test_the_auditors_dossier_keeps_the_objector(login: Login, world: World) -> None:
    import io
    import zipfile
    case_id = objection_registered(world)
    response = login("auditor").get(f"/audit/cases/{case_id}/dossier.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert any(OBJECTOR in archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    assert login("xh_staff").get(f"/audit/cases/{case_id}/dossier.zip").status_code in (403, 404)

"""The form editor (live preview, deploy) and the decision-table editor over HTTP."""
from __future__ import annotations

import json
from typing import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.runtime.models import ProcessDefinition
from engine.studio import dmn as studio_dmn
from engine.studio import versions as studio

from ..conftest import PROJECT_ROOT, World

Login = Callable[[str], FlaskClient]
SG_FORM = json.loads((PROJECT_ROOT / "forms" / "sg_review.json").read_text(encoding="utf-8"))


def test_form_list_and_editor_pages(login: Login) -> None:
    client = login("admin")
    assert "sg_review" in client.get("/admin/forms").get_data(as_text=True)
    page = client.get("/admin/processes/annual_plan/forms/sg_review").get_data(as_text=True)
    assert "JSON Schema" in page and "预览" in page
    assert client.get("/admin/processes/annual_plan/forms/nope").status_code == 400


def test_preview_renders_the_edited_schema_and_explains_mistakes(login: Login) -> None:
    client = login("admin")
    schema = {**SG_FORM, "properties": {**SG_FORM["properties"], "extra_note": {"type": "string", "title": "补充说明"}}}
    body = client.post("/admin/forms/sg_review/preview", json={"schema": json.dumps(schema)}).get_json()
    assert "补充说明" in body["html"] and 'name="extra_note"' in body["html"]
    broken = client.post("/admin/forms/sg_review/preview", json={"schema": "{\n  \"type\": "})
    assert broken.status_code == 422 and "第 2 行" in broken.get_json()["error"]["fields"]["schema"]
    untitled = client.post("/admin/forms/sg_review/preview",
                           json={"schema": json.dumps({"type": "object", "properties": {"x": {"type": "string"}}})})
    assert untitled.status_code == 422 and "title" in untitled.get_json()["error"]["fields"]["schema"]


def test_saving_a_form_deploys_a_new_version(world: World, login: Login) -> None:
    client = login("admin")
    schema = {**SG_FORM, "properties": {**SG_FORM["properties"], "extra_note": {"type": "string", "title": "补充说明"}}}
    answer = client.post("/admin/processes/annual_plan/forms/sg_review",
                         json={"schema": json.dumps(schema), "comment": "增加补充说明"})
    assert answer.status_code == 200 and answer.get_json()["version"] == 2
    with world.sessions() as session:
        latest = studio.get_version(session, "annual_plan", 2)
        assert "extra_note" in latest.forms["sg_review"]["properties"] and latest.comment == "增加补充说明"
    assert client.post("/admin/processes/annual_plan/forms/sg_review",
                       json={"schema": json.dumps(schema), "comment": ""}).status_code == 422


def _table_id(world: World) -> str:
    with world.sessions() as session:
        return next(t.decision_id for t in studio_dmn.latest_stored(session) if t.decision_id == "expense_tier_table")


def _versions(world: World, key: str) -> int:
    with world.sessions() as session:
        return len(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)).all())


def test_decision_table_rows_are_edited_and_redeployed(world: World, login: Login) -> None:
    client = login("admin")
    table_id = _table_id(world)
    assert table_id in client.get("/admin/tables").get_data(as_text=True)
    page = client.get(f"/admin/tables/{table_id}").get_data(as_text=True)
    assert "? &gt;= 200000" in page
    with world.sessions() as session:
        [table] = [t for t in studio_dmn.read_tables(studio_dmn.stored_table(session, table_id).dmn_xml) if t.id == table_id]
    rules = [{"inputs": r.inputs, "outputs": r.outputs, "description": r.description} for r in table.rules]
    before = _versions(world, "large_expense")
    rules[0]["inputs"][0] = "? >= 300000"
    answer = client.post(f"/admin/tables/{table_id}", json={"rules": rules, "comment": "提高常务理事会门槛"})
    assert answer.status_code == 200, answer.get_json()
    assert _versions(world, "large_expense") == before + 1
    assert "? &gt;= 300000" in client.get(f"/admin/tables/{table_id}").get_data(as_text=True)


def test_an_unsafe_cell_is_refused_and_nothing_is_stored(world: World, login: Login) -> None:
    client = login("admin")
    table_id = _table_id(world)
    with world.sessions() as session:
        [table] = [t for t in studio_dmn.read_tables(studio_dmn.stored_table(session, table_id).dmn_xml) if t.id == table_id]
    rules = [{"inputs": r.inputs, "outputs": r.outputs, "description": r.description} for r in table.rules]
    rules[0]["outputs"][0] = "__import__('os').getcwd()"
    before = _versions(world, "large_expense")
    refused = client.post(f"/admin/tables/{table_id}", json={"rules": rules, "comment": "注入"})
    assert refused.status_code == 422
    assert any("决策表" in p["message"] for p in refused.get_json()["error"]["problems"])
    assert _versions(world, "large_expense") == before
    short = client.post(f"/admin/tables/{table_id}", json={"rules": [{"inputs": ["-"], "outputs": []}], "comment": "x"})
    assert short.status_code == 422

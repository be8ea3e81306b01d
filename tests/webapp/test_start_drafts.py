"""暂存 on the 发起 form: a saved start draft per user and process, reloaded by the start page."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cases import start_drafts as start_drafts
from engine.cases.models import StartDraft
from engine.errors import InvalidData, NotFound

from ..conftest import World
from .helpers import page, plan_form

NOTICE = "暂存的内容"


def drafts(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(StartDraft)) or 0


def test_a_start_draft_is_saved_reloaded_and_dropped_once_filed(world: World, plan_data: dict[str, Any],
                                                               login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    assert NOTICE not in page(client.get("/start/annual_plan"))
    partial = {"_title": "2027 计划（未完成）", "plan_year": "2027", "guiding_principles": "先写指导思想",
               "decision": "save_draft"}
    response = client.post("/start/annual_plan", data=partial)
    assert response.status_code == 302 and response.headers["Location"].endswith("/start/annual_plan")
    html = page(client.get("/start/annual_plan"))
    assert NOTICE in html and "2027 计划（未完成）" in html and "先写指导思想" in html
    assert NOTICE not in page(login("xh_sg").get("/start/annual_plan"))
    client = login("xh_staff")
    response = client.post("/start/annual_plan", data=plan_form(plan_data))
    assert response.status_code == 302 and "/cases/" in response.headers["Location"]
    assert drafts(world) == 0
    assert NOTICE not in page(client.get("/start/annual_plan"))


def test_a_bad_start_draft_is_refused_and_nothing_is_saved(world: World, login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    response = client.post("/start/annual_plan", data={"_title": "x", "plan_year": "明年", "decision": "save_draft"})
    assert response.status_code == 422 and "请修正以下 1 处问题" in page(response)
    response = client.post("/start/annual_plan", data={"_title": "长" * 201, "decision": "save_draft"})
    assert response.status_code == 422 and "标题不能超过" in page(response)
    assert drafts(world) == 0


def test_only_a_process_one_may_file_can_be_drafted(world: World) -> None:
    with world.sessions() as session, session.begin():
        with pytest.raises(NotFound):
            start_drafts.save_start_draft(session, world.user(session, "admin"), "annual_plan", None, "t", {})
        with pytest.raises(NotFound):
            start_drafts.save_start_draft(session, world.user(session, "xh_staff"), "annual_plan",
                                          world.org_ids["YH"], "t", {})
        with pytest.raises(InvalidData):
            start_drafts.save_start_draft(session, world.user(session, "xh_staff"), "annual_plan", None, "t",
                                          {"unknown_field": 1})
    assert drafts(world) == 0

"""A state change over the API is one transaction: the answer is built before the commit, nothing is read after it."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from .conftest import Api
from .flow import act, file_plan


@pytest.fixture
def database_events(app: Flask) -> Iterator[list[str]]:
    """What the app's database connections do, in order: "statement" or "commit"."""
    engine = app.extensions["baguan_db"].engine
    seen: list[str] = []

    def statement(*_args: Any) -> None:
        seen.append("statement")

    def commit(_connection: Any) -> None:
        seen.append("commit")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    yield seen
    event.remove(engine, "before_cursor_execute", statement)
    event.remove(engine, "commit", commit)


def test_filing_answers_from_its_own_transaction(api: Api, plan_data: dict[str, Any],
                                                 database_events: list[str]) -> None:
    case = file_plan(api, plan_data)
    assert database_events.count("commit") == 1 and database_events[-1] == "commit"
    assert case["submitter"]["username"] == "xh_staff"


def test_completing_a_task_answers_from_its_own_transaction(api: Api, plan_data: dict[str, Any],
                                                            database_events: list[str]) -> None:
    case = file_plan(api, plan_data)
    database_events.clear()
    case = act(api, "xh_sg", case, "approve", data={"sg_compliance_checked": True})
    assert database_events.count("commit") == 1 and database_events[-1] == "commit"
    completers = {t["step"]: t["completed_by"]["username"] for t in case["tasks"] if t["completed_by"]}
    assert completers == {"draft": "xh_staff", "sg_review": "xh_sg"}


@pytest.mark.parametrize("username, view", [("xh_sg", "todo"), ("xh_staff", "done")])
def test_a_task_list_reads_the_same_statements_for_two_items_as_for_six(
        api: Api, plan_data: dict[str, Any], database_events: list[str], username: str, view: str) -> None:
    def statements_for_list() -> tuple[int, int]:
        database_events.clear()
        response = api.get(username, "/tasks", query={"view": view, "limit": 50})
        assert response.status_code == 200
        return database_events.count("statement"), len(response.get_json()["items"])

    statements_for_list()
    for _ in range(2):
        file_plan(api, plan_data)
    few, shown = statements_for_list()
    for _ in range(4):
        file_plan(api, plan_data)
    many, shown_more = statements_for_list()
    assert (shown, shown_more) == (2, 6)
    assert many == few

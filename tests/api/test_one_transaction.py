"""A state change over the API is one transaction: the answer is built before the commit, nothing is read after it."""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from .conftest import Api
from .flow import act, file_plan, open_task_id


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


def _review_actions(case: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    task_id = open_task_id(case)
    return [("xh_staff", "/cases/{case_id}/copies", {"case_id": case["id"]}, {"users": ["xh_finance"]}),
            ("xh_finance", "/cases/{case_id}/read", {"case_id": case["id"]}, {}),
            ("xh_staff", "/cases/{case_id}/urge", {"case_id": case["id"]}, {"message": "请尽快"}),
            ("xh_sg", "/tasks/{task_id}/delegate", {"task_id": task_id}, {"user": "xh_finance", "note": "请提意见"}),
            ("xh_finance", "/tasks/{task_id}/reply", {"task_id": task_id}, {"opinion": "可行"}),
            ("xh_staff", "/cases/{case_id}/recall", {"case_id": case["id"]}, {"reason": "补材料"}),
            ("xh_staff", "/cases/{case_id}/withdraw", {"case_id": case["id"]}, {"reason": "不再需要"})]


def test_review_actions_answer_from_their_own_transaction(api: Api, plan_data: dict[str, Any],
                                                          database_events: list[str]) -> None:
    """抄送, 已阅, 催办, 委派, 回复, 撤回 and 撤销 read nothing after their commit (no second transaction, and on
    SQLite no second wait for the write lock)."""
    for username, template, place, body in _review_actions(file_plan(api, plan_data)):
        database_events.clear()
        response = api.post(username, template, json=body, **place)
        assert response.status_code == 200, (template, response.get_json())
        assert database_events.count("commit") == 1 and database_events[-1] == "commit", template

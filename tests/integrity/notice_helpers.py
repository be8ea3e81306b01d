"""Filing and deciding through the public interfaces (API and HTML forms) for the integrity catalogue."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.runtime.models import Case

from ..api.conftest import Api
from ..api.flow import with_sg_check
from ..conftest import World


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def web_fields(data: dict[str, Any], title: str = "测试事项") -> dict[str, str]:
    """A start or task form as the browser submits it: 明细子表 rows as ``table-0-column``, ticked boxes as 1."""
    form = {"_title": title}
    for key, value in data.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                form.update({f"{key}-{index}-{column}": _text(cell) for column, cell in row.items()
                             if cell is not False})
        elif value is not False:
            form[key] = _text(value)
    return form


def _text(value: Any) -> str:
    return "1" if value is True else str(value)


def case_count(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def api_file(api: Api, process: str, data: dict[str, Any], username: str = "xh_staff") -> Any:
    return api.post(username, "/cases", json={"process": process, "org": "XH", "title": "测试事项", "data": data})


def web_file(client: FlaskClient, process: str, data: dict[str, Any]) -> Any:
    return client.post(f"/start/{process}", data=web_fields(data))


def web_case_id(response: Any) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r"/cases/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


def open_task(case: dict[str, Any]) -> dict[str, Any]:
    [task] = [t for t in case["tasks"] if t["status"] == "open"]
    return task


def api_decide(api: Api, username: str, case: dict[str, Any], decision: str = "approve",
               data: dict[str, Any] | None = None, comment: str | None = None) -> Any:
    task_id = open_task(case)["id"]
    return api.post(username, "/tasks/{task_id}/complete", task_id=task_id,
                    json={"decision": decision, "comment": comment,
                          "data": with_sg_check(api, username, task_id, decision, data) or {}})


def api_case(api: Api, username: str, case_id: int) -> dict[str, Any]:
    response = api.get(username, "/cases/{case_id}", case_id=case_id)
    assert response.status_code == 200
    found: dict[str, Any] = response.get_json()
    return found


def error_text(response: Any) -> str:
    if response.is_json:
        body = response.get_json()["error"]
        return body["message"] + " " + " ".join((body.get("fields") or {}).values())
    return str(response.get_data(as_text=True))

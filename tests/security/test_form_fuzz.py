"""The web forms fuzzed with Hypothesis (issue 11, 6): login, 发起, the task decision, 转办/委派/加签, 抄送, 催办,
代理人 and the inbox filters get generated values (any text, control characters, huge numbers, impossible dates,
names of real users and decisions). The check: never a 5xx, whatever the values."""
from __future__ import annotations

from typing import Any, Callable

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..conftest import World
from ..review.helpers import approve_to, open_task_id, start

EXAMPLES_PER_FORM = 20
SPECIAL = ["", " ", "0", "-1", "1.5", "99999999999999999999999", "1e309", "NaN", "inf", "0001-01-01", "9999-12-31",
           "2027-02-30", "\x00", "a\r\nb", "\r\n", "xh_sg", "xh_party", "xh_president", "approve", "return", "reject",
           "submit", "save_draft", "before", "after", "draft", "<script>alert(1)</script>", "' OR 1=1 --", "长" * 3000,
           "true", "on", "TAST", "XH", "annual_plan", "//evil.example", "/\r\nSet-Cookie: x=1"]
VALUE = st.one_of(st.sampled_from(SPECIAL), st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
                  st.integers(min_value=-(2**70), max_value=2**70).map(str))


def _form(*names: str) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional={name: VALUE for name in names})


def _no_server_error(client: FlaskClient, method: str, path: str, fields: st.SearchStrategy[dict[str, str]]) -> None:
    @settings(max_examples=EXAMPLES_PER_FORM, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(values=fields)
    def run(values: dict[str, str]) -> None:
        if method == "GET":
            response = client.get(path, query_string=values)
        else:
            response = client.post(path, data=values)
        assert response.status_code < 500, (method, path, values, response.get_data(as_text=True)[:300])
    run()


def test_login_never_fails_with_a_server_error(client: FlaskClient, world: World) -> None:
    _no_server_error(client, "POST", "/login", _form("username", "password", "next"))
    _no_server_error(client, "GET", "/login", _form("next"))


def test_the_staff_forms_never_fail_with_a_server_error(world: World, plan_data: dict[str, Any],
                                                        login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "sg_review", plan_data)
    client = login("xh_staff")
    _no_server_error(client, "POST", "/start/annual_plan", _form(
        "_title", "_org", "plan_year", "guiding_principles", "last_year_review", "income_total", "expense_total",
        "party_building_plan", "key_tasks-0-name", "key_tasks-0-budget", "key_tasks-0-month", "key_tasks-0-category",
        "key_tasks-999999-name"))
    _no_server_error(client, "POST", f"/cases/{case_id}/urge", _form("message"))
    _no_server_error(client, "POST", f"/cases/{case_id}/recall", _form("reason"))
    _no_server_error(client, "POST", "/settings/proxy", _form("proxy", "starts_on", "ends_on"))
    _no_server_error(client, "POST", "/settings/phrases", _form("text"))
    _no_server_error(client, "POST", "/notifications/email", _form("email"))


def test_the_reviewer_forms_never_fail_with_a_server_error(world: World, plan_data: dict[str, Any],
                                                           login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    approve_to(world, case_id, "sg_review", plan_data)
    task_id = open_task_id(world, case_id)
    client = login("xh_sg")
    _no_server_error(client, "GET", "/", _form("q", "process", "org", "since", "until", "overdue", "sort", "page"))
    _no_server_error(client, "GET", "/done", _form("q", "since", "until", "sort", "page"))
    _no_server_error(client, "POST", f"/cases/{case_id}/copy", _form("users", "note"))
    _no_server_error(client, "POST", f"/tasks/{task_id}/signers", _form("user", "position", "note"))
    _no_server_error(client, "POST", f"/tasks/{task_id}/delegate", _form("user", "note"))
    _no_server_error(client, "POST", f"/tasks/{task_id}/transfer", _form("user", "note"))
    _no_server_error(client, "POST", "/tasks/batch", _form("task_ids", "comment"))
    _no_server_error(client, "POST", f"/tasks/{open_task_id(world, case_id)}",
                     _form("decision", "comment", "return_to", "sg_compliance_checked"))


def test_the_audit_search_never_fails_with_a_server_error(world: World, login: Callable[[str], FlaskClient]) -> None:
    client = login("auditor")
    fields = _form("org", "process", "person", "action", "outcome", "from", "to", "page")
    _no_server_error(client, "GET", "/audit/search", fields)
    _no_server_error(client, "GET", "/audit/search/export.csv", fields)

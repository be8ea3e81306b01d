"""Item 14 — policy clause 12: no branch under a branch; the upper political review of branch leaders belongs to
the 科协's party body (role ``cast_party``, 市科协科技社团党委), not to the 学会部 reviewer (``cast_reviewer``)."""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient

from engine.errors import AccessDenied, InvalidData
from engine.roles import resolve_role
from webapp.demo import demo_logins

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import act, open_step, open_tasks, start
from ..processes.test_commendation_fee_branch import PARTY, branch
from .notice_helpers import (
    api_case,
    api_decide,
    api_file,
    case_count,
    error_text,
    web_file,
)

CLAUSE = "第12条"


def test_a_branch_under_a_branch_is_refused_through_the_api(api: Api, world: World) -> None:
    before = case_count(world)
    response = api_file(api, "branch", branch(parent_unit="分支机构"))
    assert response.status_code == 422
    assert CLAUSE in response.get_json()["error"]["fields"]["parent_unit"]
    assert case_count(world) == before


def test_a_branch_under_a_branch_is_refused_through_the_web_form(world: World,
                                                                 login: Callable[[str], FlaskClient]) -> None:
    before = case_count(world)
    response = web_file(login("xh_staff"), "branch", branch(parent_unit="分支机构"))
    assert response.status_code == 422 and CLAUSE in error_text(response)
    assert case_count(world) == before


def test_a_branch_in_disguise_under_a_branch_is_refused(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "branch", branch(branch_name="天津市机械工程学会增材制造专业委员会金属打印分会"))
    assert CLAUSE in refused.value.fields["branch_name"]


def test_the_filing_must_say_where_the_branch_is_set_up(world: World) -> None:
    data = branch()
    del data["parent_unit"]
    with pytest.raises(InvalidData) as refused:
        start(world, "branch", data)
    assert "parent_unit" in refused.value.fields


def to_upper_review(world: World) -> int:
    case_id = start(world, "branch", branch(needs_upper_party_review=True))
    act(world, "xh_sg", case_id, data={"no_overlap": True, "host_checked": True})
    act(world, "xh_party", case_id, data=PARTY)
    assert open_step(world, case_id) == "upper_party_review"
    return case_id


def test_the_upper_political_review_belongs_to_the_cast_party_body(api: Api, world: World) -> None:
    case_id = to_upper_review(world)
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        assert task.role == "cast_party"
    case = api_case(api, "cast_party", case_id)
    refused = api_decide(api, "cast", case, data={"upper_conclusion": "合格。"})
    assert refused.status_code in (403, 404)
    assert open_step(world, case_id) == "upper_party_review"
    passed = api_decide(api, "cast_party", case, data={"upper_conclusion": "拟任负责人政治审核合格。"})
    assert passed.status_code == 200
    assert open_step(world, case_id) == "council_meeting"


def test_the_society_party_secretary_cannot_take_the_upper_review_either(world: World) -> None:
    case_id = to_upper_review(world)
    with pytest.raises(AccessDenied):
        act(world, "xh_party", case_id, data={"upper_conclusion": "合格。"})


def test_the_role_and_its_demo_login_exist() -> None:
    role = resolve_role("市科协科技社团党委")
    assert role is not None and role.code == "cast_party"
    assert any(login.role == "cast_party" and login.org == "TAST" for login in demo_logins())

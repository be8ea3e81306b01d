"""Item 15 — policy clause 13: an event records whether it forces sponsorship, donations or purchases on members or
participants, and whether the society only lends its name (挂名) for a fee; a wrong answer refuses the filing."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from engine.errors import InvalidData

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import start
from .notice_helpers import api_file, case_count, error_text, web_file
from .test_09_foreign_computed import event
from .test_10_foreign_ngo import cooperation

CLAUSE = "第13条"
QUESTIONS = ["forced_contribution", "nominal_participation"]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize(("process", "data"), [("academic_event", event), ("foreign_cooperation", cooperation)],
                         ids=["academic_event", "foreign_cooperation"])
def test_a_forced_contribution_or_nominal_participation_is_refused_through_the_api(
        api: Api, world: World, process: str, data: Callable[..., dict[str, Any]], question: str) -> None:
    before = case_count(world)
    changes: dict[str, Any] = {question: True}
    if process == "foreign_cooperation":
        changes["partners"] = [{"name": "某国大学", "country": "德国", "nature": "高校"}]
        changes["ngo_involved"] = False
    response = api_file(api, process, data(**changes))
    assert response.status_code == 422
    assert CLAUSE in response.get_json()["error"]["fields"][question]
    assert case_count(world) == before


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_forced_contribution_or_nominal_participation_is_refused_through_the_web_form(
        world: World, login: Callable[[str], FlaskClient], question: str) -> None:
    before = case_count(world)
    response = web_file(login("xh_staff"), "academic_event", event(**{question: True}))
    assert response.status_code == 422 and CLAUSE in error_text(response)
    assert case_count(world) == before


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_questions_must_be_answered(world: World, question: str) -> None:
    data = event()
    del data[question]
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", data)
    assert question in refused.value.fields


def test_the_answers_are_recorded_on_the_case(api: Api) -> None:
    response = api_file(api, "academic_event", event())
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["forced_contribution"] is False and data["nominal_participation"] is False

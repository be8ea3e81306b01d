"""Item 7 — split payments: the 30-day total per payee can no longer be evaded by spelling the payee's code
differently (SPLITY1 / splity1 / Splity1; full-width ＳＰＬＩＴＹ１ and spaces are refused by the form's pattern,
and compared equal in any process whose pattern allows them) nor by filing the parts at the same moment:
filings for one payee are serialised, so each sees the others. Through the engine, the API (/api/v1), the
web form, and concurrent filings (forced to overlap) on SQLite and PostgreSQL."""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient

from engine.cases import operations as cases
from engine.library.payees import payee_key
from engine.runtime.models import Case

from ..api.conftest import Api
from ..conftest import World
from ..engine.test_concurrency import ForcedOverlap, run_together, sqlite_or
from ..webapp.helpers import field_text, page
from .helpers import expense, start

Login = Callable[[str], FlaskClient]
SPELLINGS = ["SPLITY1", "splity1", "Splity1", "ＳＰＬＩＴＹ１", " SPLIT\u3000Y1 ", "split y1", "SPLIT\u200bY1"]
CASE_SPELLINGS = ["SPLITY1", "splity1", "Splity1", "sPLITy1"]


def amount_total(world: World, case_id: int) -> float:
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return float(case.data["amount_total"])


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_payee_codes_are_compared_case_width_and_space_insensitively(spelling: str) -> None:
    assert payee_key(spelling) == "splity1"


def test_differently_spelled_payee_codes_are_one_payee(world: World) -> None:
    totals = [amount_total(world, start(world, "large_expense", expense(8000, payee=p), title=f"第{n}笔"))
              for n, p in enumerate(CASE_SPELLINGS)]
    assert totals == [8000 * (n + 1) for n in range(len(CASE_SPELLINGS))]
    other = start(world, "large_expense", expense(8000, payee="SPLITY2"))
    assert amount_total(world, other) == 8000


def test_api_filing_counts_the_earlier_parts(world: World, api: Api) -> None:
    start(world, "large_expense", expense(8000, payee="SPLITY1"))
    response = api.post("xh_staff", "/cases", json={"process": "large_expense", "org": "XH", "title": "第二笔",
                                                    "data": expense(8000, payee="splity1")})
    assert response.status_code == 201
    assert amount_total(world, response.get_json()["id"]) == 16000


def test_web_filing_counts_the_earlier_parts(world: World, login: Login) -> None:
    start(world, "large_expense", expense(8000, payee="SPLITY1"))
    form = {"_title": "第二笔", **{k: field_text(v) for k, v in expense(8000, payee="Splity1").items() if v is not False}}
    response = login("xh_staff").post("/start/large_expense", data=form)
    assert response.status_code == 302, page(response)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert amount_total(world, case_id) == 16000


def _filer(world: World, payee: str, title: str) -> Callable[[], float]:
    def file() -> float:
        with world.sessions() as session, session.begin():
            case = cases.start_case(session, world.user(session, "xh_staff"), "large_expense",
                                    world.org(session, "XH"), title, expense(30000, payee=payee))
            return float(case.data["amount_total"])
    return file


def test_two_filings_forced_to_overlap_see_each_other(world: World) -> None:
    engine = world.sessions.kw["bind"]
    with ForcedOverlap(engine, world.sessions, sqlite_or("PG_ADVISORY_XACT_LOCK")(engine)) as overlap:
        outcomes = run_together({"a": _filer(world, "SPLITY1", "甲"), "b": _filer(world, "splity1", "乙")})
    assert overlap.overlaps == 1, "the two filings did not overlap inside the database"
    assert sorted(outcomes.values()) == [30000, 60000], outcomes


def test_four_concurrent_filings_of_30000_each_see_the_earlier_ones(world: World) -> None:
    outcomes = run_together({p: _filer(world, p, p) for p in CASE_SPELLINGS})
    assert sorted(outcomes.values()) == [30000, 60000, 90000, 120000], outcomes

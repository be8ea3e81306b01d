"""Item 6 — 大额经费开支: the amount paid is compared with the amount approved. A ¥3,000 expense approved by
the 秘书长 alone can no longer be recorded as paid ¥900,000 and completed; paying up to the approved amount
still completes the case. Through the engine, the API (/api/v1) and the web form."""
from __future__ import annotations

import json
from typing import Callable

import pytest
from flask.testing import FlaskClient

import forms as form_lib
from engine.errors import InvalidData
from forms import FormError, check_form_schema

from ..api.conftest import Api
from ..conftest import World
from ..webapp.helpers import decide, page
from .helpers import act, case_state, open_task, through_finance

Login = Callable[[str], FlaskClient]
OVERPAID = {"voucher_number": "PZ-900", "paid_amount": 900000, "paid_date": "2027-03-10"}
PAID_IN_FULL = {"voucher_number": "PZ-003", "paid_amount": 3000, "paid_date": "2027-03-10"}


def approved_by_the_secretary_general(world: World, amount: float = 3000) -> int:
    case_id = through_finance(world, amount)
    act(world, "xh_sg", case_id)
    assert open_task(world, case_id).bpmn_id == "payment"
    return case_id


def test_engine_refuses_a_payment_above_the_approved_amount(world: World) -> None:
    case_id = approved_by_the_secretary_general(world)
    before = case_state(world, case_id)
    with pytest.raises(InvalidData) as refused:
        act(world, "xh_finance", case_id, data=OVERPAID)
    assert refused.value.message == "超过已批准的金额，不予办理"
    assert refused.value.fields["paid_amount"].startswith("实际支付金额（元） 900,000.00 超过已批准的金额 3,000.00")
    assert case_state(world, case_id) == before
    act(world, "xh_finance", case_id, data=PAID_IN_FULL)
    assert case_state(world, case_id)[0] == "completed"


def test_a_payment_below_the_approved_amount_completes(world: World) -> None:
    case_id = approved_by_the_secretary_general(world)
    act(world, "xh_finance", case_id, data={**PAID_IN_FULL, "paid_amount": 2999.5})
    assert case_state(world, case_id)[0] == "completed"


def test_api_refuses_the_overpayment(world: World, api: Api) -> None:
    case_id = approved_by_the_secretary_general(world)
    before = case_state(world, case_id)
    response = api.post("xh_finance", "/tasks/{task_id}/complete", task_id=open_task(world, case_id).id,
                        json={"decision": "approve", "comment": "", "data": OVERPAID})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"] == "超过已批准的金额，不予办理"
    assert "不得超额支付" in error["fields"]["paid_amount"]
    assert case_state(world, case_id) == before


def test_web_form_refuses_the_overpayment(world: World, login: Login) -> None:
    case_id = approved_by_the_secretary_general(world)
    before = case_state(world, case_id)
    response = decide(login("xh_finance"), open_task(world, case_id).id, "approve", "",
                      voucher_number="PZ-900", paid_amount="900000", paid_date="2027-03-10")
    assert response.status_code == 422
    assert "超过已批准的金额 3,000.00，不得超额支付" in page(response)
    assert case_state(world, case_id) == before


@pytest.mark.parametrize("limit", [{"voucher_number": "amount"}, {"paid_amount": ""}, ["paid_amount"]])
def test_a_limit_must_name_a_number_field_and_a_case_variable(limit: object) -> None:
    schema = json.loads((form_lib.FORMS_DIR / "expense_payment.json").read_text(encoding="utf-8"))
    with pytest.raises(FormError, match=form_lib.NOT_ABOVE_CASE):
        check_form_schema("expense_payment", {**schema, form_lib.NOT_ABOVE_CASE: limit})

"""Item 10 — one rule for 境外非政府组织 in every procedure with a foreign party.

Bypasses: 境外合作 approved a partner marked 境外非政府组织 with no 登记证书 or 临时活动备案 number, and
``ngo_registration_no="   "`` passed the donation guard. Now donation, foreign cooperation, academic events and
commendations refuse a foreign NGO without a non-blank, trimmed, well-formed number (an 18-character 统一社会信用代码
with a valid check character, or a 6–50 character 临时活动备案号 with at least four digits), and the 外事 reviewer
must tick ``ngo_status_confirmed``.
"""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient

from engine.errors import InvalidData
from engine.library.foreign import is_credit_code, is_ngo_number

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import act, open_step, open_tasks, start
from .notice_helpers import (
    api_decide,
    api_file,
    case_count,
    error_text,
    in_days,
    open_task,
    web_fields,
    web_file,
)
from .test_09_foreign_computed import event

CREDIT_CODE = "G1120000MA05123456"
FILING_NO = "津公境临备〔2027〕0012号"
LAW = "境外非政府组织境内活动管理法"
FA = {"partner_checked": True, "one_china_checked": True, "fa_opinion": "合作方资质合规。"}


def gift(**changes: Any) -> dict[str, Any]:
    data = {"donor_type": "境外组织", "donor_name": "某国基金会", "donor_id_code": "X-1", "donor_region": "美国",
            "donor_is_foreign_ngo": True, "donation_form": "货币", "currency": "人民币", "amount": 10000,
            "amount_cny": 10000, "restricted": "非限定性", "purpose": "学术活动", "conditions": "无",
            "naming_or_award": False, "benefit_return": False, "relationship": "无", "dd_risk": "低",
            "dd_summary": "已核查登记状态。", "disclosure": "官网"}
    return {**data, **changes}


def ngo_partner(number: str | None = None) -> dict[str, Any]:
    row = {"name": "某国科学基金会", "country": "美国", "nature": "境外非政府组织"}
    return {**row, "registration_no": number} if number is not None else row


def cooperation(**changes: Any) -> dict[str, Any]:
    data = {"matter_type": "双边会议", "name_cn": "中美增材制造双边研讨会", "name_en": "Sino-US AM Workshop",
            "partners": [ngo_partner()], "start_date": in_days(300), "days": 2, "venue": "天津",
            "outside_tianjin": False, "total_count": 60, "foreign_count": 10, "countries_count": 2,
            "taiwan_hk_macao": False, "ministerial": False, "theme": "学术交流。", "budget": 30000,
            "ngo_involved": True, "exhibition": False, "field_visit": False, "forced_contribution": False,
            "nominal_participation": False}
    return {**data, **changes}


def test_the_accepted_number_formats() -> None:
    assert is_credit_code(CREDIT_CODE) and is_credit_code("914403001922038216")
    assert not is_credit_code("G1120000MA05123457")  # wrong check character
    assert is_ngo_number(FILING_NO) and is_ngo_number("LS-2027-0031")
    assert not any(is_ngo_number(v) for v in ("", "无", "abc", "123", "待补充", "<script>1234</script>"))


@pytest.mark.parametrize("number", ["   ", "\t\n", "无", "待补", "x1"], ids=["spaces", "whitespace", "none", "later",
                                                                         "too-short"])
def test_a_blank_or_malformed_donation_number_is_refused_through_the_api(api: Api, world: World,
                                                                         number: str) -> None:
    before = case_count(world)
    response = api_file(api, "donation", gift(ngo_registration_no=number))
    assert response.status_code == 422
    assert "ngo_registration_no" in response.get_json()["error"]["fields"] and LAW in error_text(response)
    assert case_count(world) == before


def test_a_malformed_donation_number_is_refused_through_the_web_form(world: World,
                                                                     login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    before = case_count(world)
    response = web_file(client, "donation", gift(ngo_registration_no=" 待补充 ", ngo_temp_filing_no=" "))
    assert response.status_code == 422 and LAW in error_text(response)
    assert case_count(world) == before


def test_a_well_formed_number_is_stored_trimmed(api: Api) -> None:
    response = api_file(api, "donation", gift(ngo_registration_no=f"  {CREDIT_CODE} "))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["ngo_registration_no"] == CREDIT_CODE
    assert data["has_foreign_ngo"] is True and data["foreign_ngo_parties"] == ["某国基金会"]


@pytest.mark.parametrize("partner", [ngo_partner(), ngo_partner("   "), ngo_partner("abc")],
                         ids=["missing", "blank", "malformed"])
def test_a_foreign_ngo_partner_without_a_valid_number_is_refused(api: Api, world: World,
                                                                 partner: dict[str, Any]) -> None:
    before = case_count(world)
    response = api_file(api, "foreign_cooperation", cooperation(partners=[partner]))
    assert response.status_code == 422, response.get_json()
    assert "partners.0.registration_no" in response.get_json()["error"]["fields"]
    assert case_count(world) == before


def test_a_foreign_ngo_partner_without_a_number_is_refused_through_the_web_form(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    client = login("xh_staff")
    response = web_file(client, "foreign_cooperation", cooperation())
    assert response.status_code == 422 and LAW in error_text(response)


def test_ticking_ngo_involvement_without_naming_the_ngo_is_refused(world: World) -> None:
    partner = {"name": "某国大学", "country": "德国", "nature": "高校"}
    with pytest.raises(InvalidData) as refused:
        start(world, "foreign_cooperation", cooperation(partners=[partner]))
    assert LAW in refused.value.fields["ngo_involved"]


def test_an_academic_event_sponsored_by_an_unregistered_foreign_ngo_is_refused(world: World) -> None:
    sponsor = {"name": "某国基金会", "country": "美国", "nature": "境外非政府组织", "role": "资助"}
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", event(foreign_parties=[sponsor]))
    assert LAW in refused.value.fields["foreign_parties.0.registration_no"]
    case_id = start(world, "academic_event", event(foreign_parties=[{**sponsor, "registration_no": FILING_NO}]))
    act(world, "xh_sg", case_id)
    assert open_step(world, case_id) == "fa_review"


def test_a_commendation_cohosted_by_a_foreign_ngo_is_refused_even_unmarked(world: World) -> None:
    data = {"project_name": "青年科技奖", "project_nature": "新设", "category": "科技奖", "basis": "章程第十条",
            "targets": "个人", "scope": "会员", "for_students": False, "cycle": "每两年", "quota": "10 名",
            "criteria": "评审、公示。", "funding": "会费", "charges_candidates": False, "uses_tianjin_name": False,
            "co_hosts": [{"name": "某国基金会", "nature": "境外非政府组织", "foreign": False}]}
    with pytest.raises(InvalidData) as refused:
        start(world, "commendation", data)
    assert "第15条" in refused.value.fields["co_hosts"]


def test_the_foreign_affairs_review_must_confirm_the_ngo_registration_through_the_api(api: Api) -> None:
    case = api_file(api, "foreign_cooperation", cooperation(partners=[ngo_partner(FILING_NO)])).get_json()
    case = api_decide(api, "xh_sg", case).get_json()
    assert open_task(case)["step"] == "fa_review"
    refused = api_decide(api, "xh_fa", case, data=FA)
    assert refused.status_code == 422 and "ngo_status_confirmed" in refused.get_json()["error"]["fields"]
    assert LAW in error_text(refused)
    passed = api_decide(api, "xh_fa", case, data={**FA, "ngo_status_confirmed": True})
    assert passed.status_code == 200 and open_task(passed.get_json())["step"] == "party_review"


def test_the_foreign_affairs_review_must_confirm_the_ngo_registration_through_the_web_form(
        world: World, login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, "donation", gift(ngo_temp_filing_no=FILING_NO))
    act(world, "xh_sg", case_id)
    with world.sessions() as session:
        [task] = open_tasks(session, case_id)
        task_id = task.id
    client = login("xh_fa")
    form = {"decision": "approve", **web_fields({"fund_source_proof_checked": True, "fa_opinion": "来源清楚。"})}
    response = client.post(f"/tasks/{task_id}", data=form)
    assert response.status_code == 422 and LAW in error_text(response)
    assert open_step(world, case_id) == "fa_review"
    response = client.post(f"/tasks/{task_id}", data={**form, "ngo_status_confirmed": "1"})
    assert response.status_code == 302
    assert open_step(world, case_id) == "party_review"


def test_a_case_without_a_foreign_ngo_needs_no_confirmation(world: World) -> None:
    case_id = start(world, "foreign_cooperation", cooperation(
        partners=[{"name": "某国大学", "country": "德国", "nature": "高校"}], ngo_involved=False))
    act(world, "xh_sg", case_id)
    act(world, "xh_fa", case_id, data=FA)
    assert open_step(world, case_id) == "party_review"

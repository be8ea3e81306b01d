"""Item 8 — references must be real. An event that charges names a completed 收费备案 of the same society
(not an invented number, not a filing still under review, not another society's); the start form offers
the society's completed fee filings. A 活动预告 linked to an event may be published once the event has
passed its entry gates (秘书长、党组织、宣传关) — before, it is refused; it need not wait for the event to end.
Through the engine, the API (/api/v1) and the web form."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.errors import Conflict, InvalidData
from engine.runtime.models import Case

from ..api.conftest import Api
from ..conftest import World
from ..processes.helpers import add_member
from ..processes.test_academic_event import PARTY, event, through_entry_gate
from ..processes.test_publication import PUBLISHED, article, case_number
from ..webapp.helpers import decide, field_text, page
from .helpers import act, case_state, fee_filing, open_task, start

Login = Callable[[str], FlaskClient]
PUBLICITY = {"materials": "活动预告推文", "publicity_approved": True}


def charging_event(number: str) -> dict[str, Any]:
    return event(charges=True, fee_filing_no=number)


def case_count(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def test_an_invented_fee_filing_number_is_refused(world: World) -> None:
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", charging_event("SF-2027-01"))
    assert "本学会没有编号为 SF-2027-01 的“经营服务性收费备案" in refused.value.fields["fee_filing_no"]


def test_a_fee_filing_under_review_or_of_another_society_is_refused(world: World) -> None:
    running = fee_filing(world, completed=False)
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", charging_event(running))
    assert "尚未办结" in refused.value.fields["fee_filing_no"]
    foreign = fee_filing(world, org="YH")
    with pytest.raises(InvalidData) as refused:
        start(world, "academic_event", charging_event(foreign))
    assert "本学会没有编号为" in refused.value.fields["fee_filing_no"]


def test_a_completed_fee_filing_of_the_society_is_accepted(world: World) -> None:
    case_id = start(world, "academic_event", charging_event(fee_filing(world)))
    assert open_task(world, case_id).bpmn_id == "sg_review"


def test_api_refuses_an_invented_fee_filing_and_saves_nothing(world: World, api: Api) -> None:
    before = case_count(world)
    response = api.post("xh_staff", "/cases", json={"process": "academic_event", "org": "XH", "title": "收费沙龙",
                                                    "data": charging_event("SF-2027-01")})
    assert response.status_code == 422
    assert "本学会没有编号为 SF-2027-01" in response.get_json()["error"]["fields"]["fee_filing_no"]
    assert case_count(world) == before


def test_start_form_offers_the_completed_fee_filings_and_refuses_others(world: World, login: Login) -> None:
    number = fee_filing(world)
    running = fee_filing(world, completed=False)
    client = login("xh_staff")
    html = page(client.get("/start/academic_event"))
    assert 'list="dl-fee_filing_no"' in html and '<datalist id="dl-fee_filing_no">' in html
    assert f'<option value="{number}">' in html and running not in html
    before = case_count(world)
    form = {"_title": "收费沙龙", **{k: field_text(v) for k, v in charging_event("SF-2027-01").items()
                                  if v is not False and k != "speakers"}}
    form.update({f"speakers-0-{k}": v for k, v in event()["speakers"][0].items()})
    response = client.post("/start/academic_event", data=form)
    assert response.status_code == 422
    assert "本学会没有编号为 SF-2027-01" in page(response)
    assert case_count(world) == before


def previews_at_publish(world: World, event_id: int, count: int = 1) -> list[int]:
    """活动预告 articles linked to the event, through their three reviews, waiting to be published."""
    add_member(world, "xh_deputy_sg", "secretary_general")
    found = []
    for _ in range(count):
        case_id = start(world, "publication", article(linked_case=case_number(world, event_id), content_type="活动预告"))
        act(world, "xh_deputy_sg", case_id)
        act(world, "xh_sg", case_id)
        found.append(case_id)
    return found


def test_a_preview_waits_for_the_publicity_gate_then_is_published_before_the_event(world: World) -> None:
    event_id = through_entry_gate(world, event(publicity="微信公众号"))
    assert open_task(world, event_id).bpmn_id == "publicity_review"
    [case_id] = previews_at_publish(world, event_id)
    before = case_state(world, case_id)
    with pytest.raises(Conflict) as refused:
        act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert "尚未通过入口关审核（宣传关：宣传材料发布前审核）" in refused.value.message
    assert "先批后办" in refused.value.message
    assert case_state(world, case_id) == before
    act(world, "xh_sg", event_id, data=PUBLICITY)
    act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert case_state(world, case_id)[0] == "completed"
    assert case_state(world, event_id)[0] == "running"


def test_a_preview_of_an_event_refused_at_the_party_gate_is_never_published(world: World) -> None:
    event_id = start(world, "academic_event", event(publicity="微信公众号"))
    act(world, "xh_sg", event_id)
    act(world, "xh_party", event_id, "reject", comment="主讲人背景存疑", data=PARTY)
    [case_id] = previews_at_publish(world, event_id)
    with pytest.raises(Conflict) as refused:
        act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert "党组织政治把关" in refused.value.message


def test_api_and_web_form_publish_a_preview_only_after_the_entry_gates(world: World, api: Api,
                                                                         login: Login) -> None:
    event_id = through_entry_gate(world, event(publicity="微信公众号"))
    first, second = previews_at_publish(world, event_id, 2)
    response = api.post("xh_staff", "/tasks/{task_id}/complete", task_id=open_task(world, first).id,
                        json={"decision": "submit", "comment": "", "data": PUBLISHED})
    assert response.status_code == 409 and "宣传关" in response.get_json()["error"]["message"]
    client = login("xh_staff")
    refused = decide(client, open_task(world, second).id, "submit", "", **PUBLISHED)
    assert refused.status_code == 409 and "宣传关" in page(refused)
    act(world, "xh_sg", event_id, data=PUBLICITY)
    response = api.post("xh_staff", "/tasks/{task_id}/complete", task_id=open_task(world, first).id,
                        json={"decision": "submit", "comment": "", "data": PUBLISHED})
    assert response.status_code == 200
    assert decide(client, open_task(world, second).id, "submit", "", **PUBLISHED).status_code == 302
    assert case_state(world, second)[0] == "completed"

"""新媒体/期刊内容发布审核: three reviews by three different people, added political review for sensitive content,
the president for statements, and nothing published before its linked event is filed."""
from __future__ import annotations

from typing import Any

import pytest

from engine.errors import Conflict, PermissionDenied
from engine.runtime.models import Case

from ..conftest import World
from .helpers import act, add_member, open_step, start, status, steps
from .test_academic_event import after_the_event, close, event, through_entry_gate

PUBLISHED = {"published_url": "https://example.org/news/1", "published_date": "2027-05-01"}


def article(**changes: Any) -> dict[str, Any]:
    data = {"headline": "学会召开青年学者沙龙", "channel": "微信公众号", "content_type": "新闻", "body": "……",
            "originality": "原创", "sensitive": "无", "planned_time": "2027-05-01", "first_review_done": True}
    return {**data, **changes}


def reviewed(world: World, data: dict[str, Any]) -> int:
    add_member(world, "xh_deputy_sg", "secretary_general")
    case_id = start(world, "publication", data)
    act(world, "xh_deputy_sg", case_id)
    act(world, "xh_sg", case_id)
    return case_id


def test_three_reviews_by_three_people_then_publication(world: World) -> None:
    case_id = reviewed(world, article())
    act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert status(world, case_id) == "completed"
    assert steps(world, case_id) == ["draft", "second_review", "third_review", "publish"]


def test_the_same_person_cannot_review_twice(world: World) -> None:
    case_id = start(world, "publication", article())
    act(world, "xh_sg", case_id)
    with pytest.raises(PermissionDenied) as refused:
        act(world, "xh_sg", case_id)
    assert "三审须三人" in refused.value.message
    assert open_step(world, case_id) == "third_review"


def test_sensitive_content_adds_party_review_and_statements_the_president(world: World) -> None:
    case_id = reviewed(world, article(sensitive="以学会名义表态", content_type="声明"))
    act(world, "xh_party", case_id, data={"party_review_opinion": "表态口径妥当。"})
    act(world, "xh_president", case_id)
    assert open_step(world, case_id) == "publish"


def case_number(world: World, case_id: int) -> str:
    with world.sessions() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case.number


def test_nothing_is_published_before_its_event_is_filed(world: World) -> None:
    event_id = through_entry_gate(world, event())
    case_id = reviewed(world, article(linked_case=case_number(world, event_id), content_type="活动预告"))
    with pytest.raises(Conflict) as refused:
        act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert "先批后办" in refused.value.message
    assert open_step(world, case_id) == "publish"
    after_the_event(world, event_id)
    close(world, event_id)
    act(world, "xh_staff", case_id, "submit", data=PUBLISHED)
    assert status(world, case_id) == "completed"

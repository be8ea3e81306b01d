"""BPMN names and ids longer than their database columns are refused at deploy, in Chinese, naming the element,
instead of deploying and then breaking every filing (issue 11, 5)."""
from __future__ import annotations

from typing import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

import forms as form_lib
from engine.cases import operations as cases
from engine.errors import DeployRejected
from engine.runtime import deploy as deployment
from engine.runtime.models import HumanTask, ProcessDefinition
from engine.runtime.specs import SourceFile

from ..conftest import World
from . import samples

LONG = "很长的步骤名称" * 29  # 203 characters


def _variants() -> dict[str, str]:
    base = samples.process()
    return {
        "task name": base.replace('name="审核"', f'name="{LONG}"'),
        "process name": base.replace('name="探针"', f'name="{LONG}"'),
        "element id": base.replace('"review"', '"r' + "x" * 120 + '"'),
        "lane name": base.replace('<bpmn:lane id="lane_staff" name="经办人">', f'<bpmn:lane id="lane_staff" name="{LONG}">'),
        "formKey": samples.process(draft_props=f'<spiffworkflow:property name="formKey" value="{"f" * 120}"/>'),
    }


def _definitions(world: World) -> int:
    with world.sessions() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


@pytest.mark.parametrize("variant", list(_variants()))
def test_an_overlong_name_is_refused_at_deploy(variant: str, world: World) -> None:
    before = _definitions(world)
    with world.sessions() as session, pytest.raises(DeployRejected) as refused:
        with session.begin():
            deployment.deploy(session, [SourceFile("long.bpmn", _variants()[variant].encode())], [],
                              form_lib.load_forms())
    assert any("过长" in problem for problem in refused.value.problems), refused.value.problems
    assert _definitions(world) == before


def test_an_upload_with_an_overlong_task_name_is_a_422_in_chinese(world: World,
                                                                 login: Callable[[str], FlaskClient]) -> None:
    import io
    before = _definitions(world)
    client = login("admin")
    response = client.post("/admin/upload", data={"comment": "测试", "file": (io.BytesIO(
        _variants()["task name"].encode()), "long.bpmn")}, content_type="multipart/form-data")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "名称过长" in text and "review" in text
    assert _definitions(world) == before


def test_a_name_of_exactly_two_hundred_characters_deploys_and_files(world: World) -> None:
    name = LONG[:200]
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("ok.bpmn", samples.process().replace('name="审核"', f'name="{name}"')
                                               .encode())], [], form_lib.load_forms())
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"),
                                "探针事项", {})
        names = session.scalars(select(HumanTask.name).where(HumanTask.case_id == case.id, HumanTask.status == "open"))
        assert list(names) == [name]

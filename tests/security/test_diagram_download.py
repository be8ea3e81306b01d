"""The audited diagram is a download that no browser renders inline, and documentation carries no active
content (issue 11, 11)."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import forms as form_lib
from engine.runtime import deploy as deployment
from engine.runtime.doc_sanitize import clean_text
from engine.runtime.models import ProcessDefinition
from engine.runtime.specs import SourceFile

from ..conftest import World
from ..review.helpers import start
from . import samples

HOSTILE_DOCUMENTATION = (
    '说明文字&lt;script&gt;alert(1)&lt;/script&gt;与'
    '&lt;img src=x onerror="alert(2)"&gt;和&lt;a href="javascript:alert(3)"&gt;链接&lt;/a&gt;'
    '<h:div xmlns:h="http://www.w3.org/1999/xhtml" onclick="alert(4)">正文'
    '<h:script>alert(5)</h:script><h:a href=" JaVaScRiPt:alert(6)">点此</h:a>尾注</h:div>'
    '&lt;a href="jav&amp;#x61;script:alert(7)"&gt;x&lt;/a&gt;'
)


def _stored_xml(world: World, key: str = "probe") -> str:
    with world.sessions() as session:
        return session.scalars(select(ProcessDefinition.bpmn_xml).where(ProcessDefinition.key == key)
                               .order_by(ProcessDefinition.version.desc())).first()


def test_active_content_is_stripped_from_documentation_at_deploy(world: World) -> None:
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", samples.process(documentation=HOSTILE_DOCUMENTATION)
                                               .encode())], [], form_lib.load_forms())
    stored = _stored_xml(world)
    for active in ("script", "onerror", "onclick", "javascript", "JaVaScRiPt", "alert(5)"):
        assert active not in stored, active
    for kept in ("说明文字", "正文", "点此", "尾注", "链接"):
        assert kept in stored


def test_a_clean_diagram_is_stored_byte_for_byte(world: World) -> None:
    document = samples.process(documentation="普通说明：&lt;b&gt;加粗&lt;/b&gt;，金额 &gt; 5 万元")
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", document.encode())], [], form_lib.load_forms())
    assert _stored_xml(world) == document


@pytest.mark.parametrize("text", ["a<script>x</script>b", "<SCRIPT src=//evil>", "<img src=x onerror=alert(1)>",
                                  '<a href="javascript:go()">', "java\tscript:x", "<scr<script>ipt>x</script>",
                                  "<iframe src=x></iframe>", "<svg/onload=alert(1)>"])
def test_clean_text_leaves_nothing_active(text: str) -> None:
    cleaned = clean_text(text).lower()
    assert "<script" not in cleaned and "<iframe" not in cleaned
    assert "javascript" not in cleaned and "onerror" not in cleaned and "onload" not in cleaned


def test_clean_text_keeps_harmless_text() -> None:
    assert clean_text("无害的文字 &lt;b&gt;加粗&lt;/b&gt; a > b") == "无害的文字 &lt;b&gt;加粗&lt;/b&gt; a > b"


def test_the_audited_diagram_is_an_attachment_with_nosniff(world: World, plan_data: dict[str, Any],
                                                           login: Callable[[str], FlaskClient]) -> None:
    case_id = start(world, plan_data)
    response = login("auditor").get(f"/audit/cases/{case_id}/diagram.bpmn")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Disposition"].endswith('.bpmn"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/xml"
    assert b"<bpmn:definitions" in response.data or b"definitions" in response.data

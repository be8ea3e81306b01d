"""Refused deploys name each element and give a Chinese message, as text and as (element, message) pairs."""
from __future__ import annotations

import pytest

import forms as form_lib
from engine.errors import DeployRejected
from engine.runtime.specs import SourceFile, compile_bundle

from ..security import samples

FORMS = form_lib.load_forms()


def _refused(document: str) -> DeployRejected:
    with pytest.raises(DeployRejected) as refused:
        compile_bundle([SourceFile("x.bpmn", document.encode("utf-8"))], [], FORMS)
    return refused.value


def _elements(error: DeployRejected) -> set[str | None]:
    return {d["element"] for d in error.details}


def test_each_problem_names_its_element_in_text_and_in_details() -> None:
    error = _refused(samples.process(samples.gateway("__import__('os')"), review_lane="路人"))
    assert {"gw", "review"} <= _elements(error)
    assert all(d["message"] in error.problems for d in error.details)
    assert any("元素 gw：条件表达式不安全" in p for p in error.problems)


def test_a_dead_end_is_refused_naming_the_node() -> None:
    document = samples.process().replace('<bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>', "")
    error = _refused(document.replace("<bpmn:outgoing>f3</bpmn:outgoing>", "").replace(
        "<bpmn:incoming>f3</bpmn:incoming>", ""))
    assert {"start", "draft", "review"} <= _elements(error)
    assert any("无法到达结束事件" in p for p in error.problems)


@pytest.mark.parametrize("element, label", [
    ('<bpmn:sendTask id="mail"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:sendTask>',
     "发送任务"),
    ('<bpmn:intermediateCatchEvent id="mail"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing>'
     '<bpmn:messageEventDefinition id="m"/></bpmn:intermediateCatchEvent>', "消息事件"),
    ('<bpmn:intermediateCatchEvent id="mail"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_in</bpmn:outgoing>'
     '<bpmn:signalEventDefinition id="m"/></bpmn:intermediateCatchEvent>', "信号事件"),
])
def test_elements_the_engine_cannot_run_are_refused(element: str, label: str) -> None:
    error = _refused(samples.process(element + samples.INLINE_NODE_FLOWS.format(node="mail")))
    assert "mail" in _elements(error)
    assert any(label in p for p in error.problems)


def test_unknown_form_and_bad_due_days_name_the_task() -> None:
    error = _refused(samples.process(draft_props='<spiffworkflow:property name="formKey" value="nope"/>'
                                                 '<spiffworkflow:property name="dueDays" value="soon"/>'))
    assert _elements(error) == {"draft"}
    assert any("表单 nope 不存在" in p for p in error.problems)
    assert any("dueDays" in p for p in error.problems)


def test_file_level_problems_have_no_element() -> None:
    error = _refused(samples.truncated())
    assert _elements(error) == {None}
    assert error.problems[0].startswith("x.bpmn：")

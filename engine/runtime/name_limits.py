"""Lengths the database columns give BPMN names and ids: a longer one would deploy and then break every filing
(the step's name or id no longer fits its ``human_task`` or audit column), so it is refused at deploy."""
from __future__ import annotations

from typing import Any

from engine.runtime.bpmn_checks import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_PROCESS_KEY = 64
MAX_ELEMENT_ID = 100
MAX_NAME = 200
MAX_FORM_KEY = 100


def _process(tree: Any, process_id: str) -> Any | None:
    found = tree.getroot().xpath("//bpmn:process[@id=$pid]", namespaces={"bpmn": BPMN_NS}, pid=process_id)
    return found[0] if found else None


def _owner_id(element: Any) -> str | None:
    """The id of the element or of its nearest ancestor that has one (a property names its task), shortened."""
    while element is not None and not element.get("id"):
        element = element.getparent()
    return None if element is None else element.get("id")[:40]


def name_length_problems(tree: Any, process_id: str) -> list[Problem]:
    """Every id, name and formKey of the process that is longer than its column, each naming its element."""
    process = _process(tree, process_id)
    if process is None:
        return []
    problems = []
    if len(process_id) > MAX_PROCESS_KEY:
        problems.append(Problem(f"流程标识过长（{len(process_id)} 个字符，最多 {MAX_PROCESS_KEY} 个）",
                                where=f"流程 {process_id[:40]}…"))
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        element_id = element.get("id")
        label = _owner_id(element)
        if element_id and len(element_id) > MAX_ELEMENT_ID and element is not process:
            problems.append(Problem(f"元素标识过长（{len(element_id)} 个字符，最多 {MAX_ELEMENT_ID} 个）", label))
        name = element.get("name")
        if name and len(name) > MAX_NAME and element.tag != f"{{{SPIFF_NS}}}property":
            problems.append(Problem(f"名称过长（{len(name)} 个字符，最多 {MAX_NAME} 个），请缩短", label or None))
        if element.tag == f"{{{SPIFF_NS}}}property" and element.get("name") == "formKey" \
                and len(element.get("value") or "") > MAX_FORM_KEY:
            problems.append(Problem(f"表单标识 formKey 过长（最多 {MAX_FORM_KEY} 个字符）", label or None))
    return problems

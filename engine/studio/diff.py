"""Comparing two versions of a process element by element: added, removed and changed elements."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.roles import resolve_role
from engine.runtime.bpmn_checks import BPMN_NS, NODE_LABELS, RUNNABLE_NODES
from engine.runtime.models import ProcessDefinition
from engine.runtime.xmlsafe import parse_untrusted_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
TYPE_LABELS = {
    "startEvent": "开始事件", "endEvent": "结束事件", "userTask": "人工任务", "manualTask": "人工任务", "task": "任务",
    "scriptTask": "脚本任务", "businessRuleTask": "决策任务", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "intermediateCatchEvent": "中间事件",
    "intermediateThrowEvent": "中间事件", "boundaryEvent": "边界事件", "subProcess": "子流程",
    "callActivity": "调用活动", "sequenceFlow": "连线", **NODE_LABELS,
}
FIELD_LABELS = {"type": "类型", "name": "名称", "lane": "泳道（角色）", "source": "起点", "target": "终点",
                "condition": "条件", "timer": "定时", "script": "脚本", "called": "调用", "decision": "决策表",
                "formKey": "表单", "dueDays": "办理期限（工作日）", "kind": "任务类型"}


@dataclass(frozen=True)
class ElementChange:
    element: str
    kind: str
    label: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionDiff:
    old_version: int
    new_version: int
    added: list[ElementChange]
    removed: list[ElementChange]
    changed: list[ElementChange]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_versions(old: ProcessDefinition, new: ProcessDefinition) -> VersionDiff:
    before, after = describe(old), describe(new)
    added = [_entry(eid, after[eid], {k: (None, v) for k, v in after[eid].items() if k != "type"})
             for eid in after if eid not in before]
    removed = [_entry(eid, before[eid], {k: (v, None) for k, v in before[eid].items() if k != "type"})
               for eid in before if eid not in after]
    changed = []
    for eid in before.keys() & after.keys():
        delta = {k: (before[eid].get(k), after[eid].get(k)) for k in before[eid].keys() | after[eid].keys()
                 if before[eid].get(k) != after[eid].get(k)}
        if delta:
            changed.append(_entry(eid, after[eid], delta))
    return VersionDiff(old.version, new.version, added, removed, sorted(changed, key=lambda c: c.element))


def _entry(element_id: str, props: dict[str, Any], delta: dict[str, tuple[Any, Any]] | None = None) -> ElementChange:
    label = props.get("name") or element_id
    return ElementChange(element_id, TYPE_LABELS.get(props["type"], props["type"]), label,
                         {FIELD_LABELS.get(k, k): v for k, v in sorted((delta or {}).items())})


def describe(definition: ProcessDefinition) -> dict[str, dict[str, Any]]:
    """Every flow node and sequence flow of the process with the properties an admin edits."""
    root = parse_untrusted_xml(definition.bpmn_xml.encode("utf-8"), definition.source_name).getroot()
    process = root.find(f".//{{{BPMN_NS}}}process[@id='{definition.key}']")
    if process is None:
        return {}
    lanes = _lanes(process)
    elements: dict[str, dict[str, Any]] = {}
    for node in process.iter():
        kind = _local(node)
        if node.get("id") and (kind in RUNNABLE_NODES or kind in NODE_LABELS or kind == "sequenceFlow"):
            elements[node.get("id")] = _properties(node, kind, lanes)
    return elements


def _lanes(process: Any) -> dict[str, str]:
    lanes = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        role = resolve_role(lane.get("name"))
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = role.label if role else (lane.get("name") or "")
    return lanes


def _properties(node: Any, kind: str, lanes: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = {"type": kind, "name": node.get("name") or ""}
    if kind == "sequenceFlow":
        props.update(source=node.get("sourceRef"), target=node.get("targetRef"),
                     condition=_text(node, "conditionExpression"))
    else:
        props["lane"] = lanes.get(node.get("id"), "")
    for text_kind, key in (("timeDuration", "timer"), ("timeDate", "timer"), ("timeCycle", "timer"),
                           ("script", "script")):
        value = None if kind == "subProcess" else _text(node, text_kind, direct=False)
        if value:
            props[key] = value
    if node.get("calledElement"):
        props["called"] = node.get("calledElement")
    decision = node.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
    if decision is not None:
        props["decision"] = (decision.text or "").strip()
    for prop in node.findall(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
        props[prop.get("name") or ""] = prop.get("value")
    return {k: v for k, v in props.items() if v not in (None, "")} | {"type": kind}


def _text(node: Any, local: str, direct: bool = True) -> str | None:
    found = node.find(f"{{{BPMN_NS}}}{local}") if direct else next(node.iter(f"{{{BPMN_NS}}}{local}"), None)
    return (found.text or "").strip() if found is not None and found.text else None


def _local(node: Any) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""

"""Structural checks on a parsed BPMN document: what the engine cannot run, and paths that never end.

Each problem names the element it is about, so the studio can highlight it in the diagram.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS}

RUNNABLE_NODES = {
    "startEvent", "endEvent", "userTask", "manualTask", "task", "scriptTask", "businessRuleTask",
    "exclusiveGateway", "parallelGateway", "inclusiveGateway", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent", "subProcess", "callActivity",
}
NODE_LABELS = {"serviceTask": "服务任务", "sendTask": "发送任务", "receiveTask": "接收任务",
               "eventBasedGateway": "事件网关", "complexGateway": "复杂网关", "transaction": "事务子流程",
               "adHocSubProcess": "自由子流程"}
EVENT_LABELS = {"messageEventDefinition": "消息事件", "signalEventDefinition": "信号事件",
                "escalationEventDefinition": "升级事件", "conditionalEventDefinition": "条件事件",
                "linkEventDefinition": "链接事件", "compensateEventDefinition": "补偿事件",
                "cancelEventDefinition": "取消事件", "errorEventDefinition": "错误事件"}


@dataclass(frozen=True)
class Problem:
    """One reason a deploy is refused: a Chinese message and, when there is one, the element it is about."""

    message: str
    element: str | None = None
    where: str | None = None

    def __str__(self) -> str:
        if self.where:
            return f"{self.where}：{self.message}"
        return f"元素 {self.element}：{self.message}" if self.element else self.message

    def as_dict(self) -> dict[str, str | None]:
        return {"element": self.element, "message": str(self)}


def _local(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _process(tree: Any, process_id: str) -> Any | None:
    found = tree.getroot().xpath("//bpmn:process[@id=$pid]", namespaces=_NS, pid=process_id)
    return found[0] if found else None


def unsupported_elements(tree: Any, process_id: str) -> list[Problem]:
    """Elements the engine would not run as an approval step (messages, signals, services...)."""
    process = _process(tree, process_id)
    if process is None:
        return []
    problems = []
    for element in process.iter():
        name, element_id = _local(element), element.get("id")
        if name in NODE_LABELS and name != "serviceTask":
            problems.append(Problem(f"不支持{NODE_LABELS[name]}（{name}）", element_id))
        elif name in EVENT_LABELS:
            owner = element.getparent()
            problems.append(Problem(f"不支持{EVENT_LABELS[name]}（{name}）", owner.get("id") if owner is not None else None))
        elif name == "timerEventDefinition" and _local(element.getparent()) == "startEvent":
            problems.append(Problem("不支持定时开始事件：事项由经办人发起", element.getparent().get("id")))
    return problems


def graph_problems(tree: Any, process_id: str) -> list[Problem]:
    """Every flow node of the process (and of each embedded subprocess) must be able to reach an end event."""
    process = _process(tree, process_id)
    if process is None:
        return []
    containers = [process, *process.iter(f"{{{BPMN_NS}}}subProcess")]
    return [problem for container in containers for problem in _container_problems(container)]


def _container_problems(container: Any) -> list[Problem]:
    nodes = {child.get("id"): child for child in container
             if child.get("id") and (_local(child) in RUNNABLE_NODES or _local(child) in NODE_LABELS)}
    predecessors: dict[str, set[str]] = {node: set() for node in nodes}
    for child in container:
        if _local(child) == "sequenceFlow" and child.get("targetRef") in predecessors:
            predecessors[child.get("targetRef")].add(child.get("sourceRef") or "")
        if _local(child) == "boundaryEvent" and child.get("id") in predecessors:
            predecessors[child.get("id")].add(child.get("attachedToRef") or "")
    ends = [node_id for node_id, node in nodes.items() if _local(node) == "endEvent"]
    reaching = _backwards(ends, predecessors)
    if not ends and nodes:
        return [Problem("流程没有结束事件，事项无法办结", container.get("id"))]
    return [Problem("从此处无法到达结束事件（流程会停在这里）", node_id)
            for node_id in nodes if node_id not in reaching]


def _backwards(ends: list[str], predecessors: dict[str, set[str]]) -> set[str]:
    seen, todo = set(ends), list(ends)
    while todo:
        for previous in predecessors.get(todo.pop(), ()):
            if previous not in seen:
                seen.add(previous)
                todo.append(previous)
    return seen

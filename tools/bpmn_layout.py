"""Add a simple diagram layout (BPMN DI) to BPMN files that have none, so bpmn-js can draw them.

Usage: python tools/bpmn_layout.py workflows/large_expense.bpmn [...]

Lanes become horizontal bands in document order; each node goes into the column of its longest path
from the start (back edges ignored), so the drawing reads left to right. Files that already carry a
BPMNDiagram are left unchanged.
"""
from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DI_NS = {"bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI", "dc": "http://www.omg.org/spec/DD/20100524/DC",
         "di": "http://www.omg.org/spec/DD/20100524/DI"}
SIZES = {"startEvent": (36, 36), "endEvent": (36, 36), "exclusiveGateway": (50, 50), "parallelGateway": (50, 50),
         "boundaryEvent": (36, 36), "intermediateCatchEvent": (36, 36)}
for _prefix, _uri in DI_NS.items():
    etree.register_namespace(_prefix, _uri)
COLUMN, SLOT, LEFT, TOP, LANE_LABEL = 150, 120, 160, 80, 30


def _q(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _columns(nodes: list[str], flows: list[tuple[str, str, str]]) -> dict[str, int]:
    outgoing: dict[str, list[str]] = {n: [] for n in nodes}
    for _, source, target in flows:
        outgoing.setdefault(source, []).append(target)
    column = {n: 0 for n in nodes}
    order: list[str] = []
    seen: set[str] = set()
    back: set[tuple[str, str]] = set()

    def visit(node: str, stack: set[str]) -> None:
        seen.add(node)
        stack.add(node)
        for nxt in outgoing.get(node, []):
            if nxt in stack:
                back.add((node, nxt))
            elif nxt not in seen:
                visit(nxt, stack)
        stack.discard(node)
        order.append(node)

    for node in nodes:
        if node not in seen:
            visit(node, set())
    for node in reversed(order):
        for nxt in outgoing.get(node, []):
            if (node, nxt) not in back:
                column[nxt] = max(column[nxt], column[node] + 1)
    return column


def layout(path: Path) -> bool:
    tree = etree.parse(str(path))
    root = tree.getroot()
    if root.find("bpmndi:BPMNDiagram", DI_NS) is not None:
        return False
    process = root.find(_q("process"))
    collab = root.find(_q("collaboration"))
    assert process is not None
    kinds = {el.get("id"): etree.QName(el).localname for el in process
             if isinstance(el.tag, str) and el.get("id") and etree.QName(el).localname not in
             ("sequenceFlow", "laneSet", "extensionElements")}
    flows = [(f.get("id"), f.get("sourceRef"), f.get("targetRef")) for f in process.iter(_q("sequenceFlow"))]
    lanes = list(process.iter(_q("lane")))
    lane_of = {ref.text: i for i, lane in enumerate(lanes) for ref in lane.iter(_q("flowNodeRef"))}
    column = _columns(list(kinds), flows)
    width = LEFT + (max(column.values()) + 1) * COLUMN + 60
    slot: dict[str, int] = {}
    taken: dict[tuple[int, int], int] = {}
    for node in kinds:
        key = (lane_of.get(node, 0), column[node])
        slot[node], taken[key] = taken.get(key, 0), taken.get(key, 0) + 1
    rows = [max([n for (lane, _), n in taken.items() if lane == i] or [1]) for i in range(max(len(lanes), 1))]
    tops = [TOP + sum(r * SLOT for r in rows[:i]) for i in range(len(rows))]
    bounds = {}
    for node, kind in kinds.items():
        w, h = SIZES.get(kind, (100, 80))
        cx = LEFT + column[node] * COLUMN + 50
        cy = tops[lane_of.get(node, 0)] + slot[node] * SLOT + SLOT // 2
        bounds[node] = (cx - w // 2, cy - h // 2, w, h)
    diagram = etree.SubElement(root, f"{{{DI_NS['bpmndi']}}}BPMNDiagram", id=f"Diagram_{process.get('id')}")
    plane = etree.SubElement(diagram, f"{{{DI_NS['bpmndi']}}}BPMNPlane", id=f"Plane_{process.get('id')}",
                             bpmnElement=collab.get("id") if collab is not None else process.get("id"))
    height = sum(rows) * SLOT
    if collab is not None:
        participant = collab.find(_q("participant"))
        assert participant is not None
        _shape(plane, participant.get("id"), (LEFT - 60, TOP, width - LEFT + 60, height), horizontal=True)
    for i, lane in enumerate(lanes):
        _shape(plane, lane.get("id"), (LEFT - 60 + LANE_LABEL, tops[i], width - LEFT + 60 - LANE_LABEL,
                                       rows[i] * SLOT), horizontal=True)
    for node, box in bounds.items():
        _shape(plane, node, box)
    for flow_id, source, target in flows:
        _edge(plane, flow_id, bounds[source], bounds[target])
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return True


def _shape(plane: etree._Element, element: str, box: tuple[int, int, int, int], horizontal: bool = False) -> None:
    attrs = {"id": f"{element}_di", "bpmnElement": element}
    if horizontal:
        attrs["isHorizontal"] = "true"
    shape = etree.SubElement(plane, f"{{{DI_NS['bpmndi']}}}BPMNShape", attrs)
    x, y, w, h = box
    etree.SubElement(shape, f"{{{DI_NS['dc']}}}Bounds", x=str(x), y=str(y), width=str(w), height=str(h))


def _edge(plane: etree._Element, flow_id: str, source: tuple[int, int, int, int],
          target: tuple[int, int, int, int]) -> None:
    edge = etree.SubElement(plane, f"{{{DI_NS['bpmndi']}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
    sx, sy = source[0] + source[2], source[1] + source[3] // 2
    tx, ty = target[0], target[1] + target[3] // 2
    if tx < sx:
        sx, sy = source[0] + source[2] // 2, source[1] + source[3]
        tx, ty = target[0] + target[2] // 2, target[1] + target[3]
        points = [(sx, sy), (sx, max(sy, ty) + 25), (tx, max(sy, ty) + 25), (tx, ty)]
    else:
        mid = (sx + tx) // 2
        points = [(sx, sy), (mid, sy), (mid, ty), (tx, ty)] if sy != ty else [(sx, sy), (tx, ty)]
    for x, y in points:
        etree.SubElement(edge, f"{{{DI_NS['di']}}}waypoint", x=str(x), y=str(y))


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"{name}: {'已添加布局' if layout(Path(name)) else '已有布局，未改动'}")

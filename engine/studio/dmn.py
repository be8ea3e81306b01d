"""Reading and rewriting the rows of DMN decision tables, for the studio's threshold-table editor.

Only rule rows (conditions, outputs, descriptions) are edited; inputs, outputs and hit policy stay as
deployed. The rewritten document goes through the full deploy pipeline, which compiles every cell.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidData, NotFound
from engine.library.models import DecisionTable
from engine.runtime.xmlsafe import parse_untrusted_xml

MAX_CELL = 500


@dataclass(frozen=True)
class Rule:
    description: str
    inputs: list[str]
    outputs: list[str]


@dataclass(frozen=True)
class Table:
    id: str
    name: str
    hit_policy: str
    inputs: list[str]
    outputs: list[str]
    rules: list[Rule]


def _ns(root: Any) -> str:
    return root.tag.split("}", 1)[0] + "}" if root.tag.startswith("{") else ""


def read_tables(xml: str) -> list[Table]:
    root = parse_untrusted_xml(xml.encode("utf-8"), "dmn").getroot()
    ns = _ns(root)
    tables = []
    for decision in root.iter(f"{ns}decision"):
        for table in decision.iter(f"{ns}decisionTable"):
            tables.append(Table(
                table.get("id") or "", decision.get("name") or decision.get("id") or "", table.get("hitPolicy") or "UNIQUE",
                [i.get("label") or i.get("id") or "" for i in table.findall(f"{ns}input")],
                [o.get("label") or o.get("name") or "" for o in table.findall(f"{ns}output")],
                [_rule(rule, ns) for rule in table.findall(f"{ns}rule")]))
    return tables


def _rule(rule: Any, ns: str) -> Rule:
    text = lambda entry: (entry.findtext(f"{ns}text") or "").strip()  # noqa: E731
    return Rule((rule.findtext(f"{ns}description") or "").strip(),
                [text(e) for e in rule.findall(f"{ns}inputEntry")], [text(e) for e in rule.findall(f"{ns}outputEntry")])


def replace_rules(xml: str, table_id: str, rules: list[Rule]) -> bytes:
    """The document with the rows of ``table_id`` replaced by ``rules`` (cells checked for shape only)."""
    root = parse_untrusted_xml(xml.encode("utf-8"), "dmn").getroot()
    ns = _ns(root)
    table = next((t for t in root.iter(f"{ns}decisionTable") if t.get("id") == table_id), None)
    if table is None:
        raise InvalidData("决策表不存在", {"table": f"没有决策表 {table_id}"})
    width = (len(table.findall(f"{ns}input")), len(table.findall(f"{ns}output")))
    for old in table.findall(f"{ns}rule"):
        table.remove(old)
    for number, rule in enumerate(rules, start=1):
        table.append(_rule_element(ns, f"{table_id}_r{number}", rule, width, number))
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _rule_element(ns: str, rule_id: str, rule: Rule, width: tuple[int, int], number: int) -> Any:
    if (len(rule.inputs), len(rule.outputs)) != width or any(len(c) > MAX_CELL for c in [*rule.inputs, *rule.outputs]):
        raise InvalidData("决策表行无效", {f"row-{number}": f"第 {number} 行的列数不对或单元格过长"})
    element = etree.Element(f"{ns}rule", id=rule_id)
    if rule.description:
        etree.SubElement(element, f"{ns}description").text = rule.description
    for kind, cells in (("inputEntry", rule.inputs), ("outputEntry", rule.outputs)):
        for index, cell in enumerate(cells, start=1):
            entry = etree.SubElement(element, f"{ns}{kind}", id=f"{rule_id}_{kind[0]}{index}")
            etree.SubElement(entry, f"{ns}text").text = cell.strip() or ("-" if kind == "inputEntry" else "")
    return element


def latest_stored(session: Session) -> list[DecisionTable]:
    """The newest stored version of every decision table."""
    rows = session.scalars(select(DecisionTable).order_by(DecisionTable.decision_id, DecisionTable.version.desc()))
    return list({row.decision_id: row for row in reversed(list(rows))}.values())


def stored_table(session: Session, table_id: str) -> DecisionTable:
    row = session.scalar(select(DecisionTable).where(DecisionTable.decision_id == table_id)
                         .order_by(DecisionTable.version.desc()).limit(1))
    if row is None:
        raise NotFound(f"决策表 {table_id} 不存在")
    return row


def rules_from_json(raw: Any) -> list[Rule]:
    if not isinstance(raw, list) or len(raw) > 200:
        raise InvalidData("决策表数据无效", {"rules": "规则必须是列表（最多 200 行）"})
    rules = []
    for row in raw:
        if not isinstance(row, dict) or not all(isinstance(c, str) for c in [*row.get("inputs", []), *row.get("outputs", [])]):
            raise InvalidData("决策表数据无效", {"rules": "每一行必须包含文本单元格"})
        rules.append(Rule(str(row.get("description", ""))[:MAX_CELL], list(row.get("inputs", [])), list(row.get("outputs", []))))
    return rules

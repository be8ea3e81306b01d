"""What a case's audit page shows: every event of the case, and the path taken through its diagram."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.journal import AuditEvent
from engine.runtime.models import Case, HumanTask
from engine.vocabulary import field_label

from ..cases.context import Change, field_changes
from ..templating import audit_label

SHOWN_ELSEWHERE = {"task_id", "step", "step_name", "role", "decision", "comment", "changed", "attachments",
                   "on_behalf_of", "on_behalf_of_id", "on_behalf_of_name", "delegator_name"}
RULE_DETAIL = {"table", "table_version", "inputs", "result"}


def action_label(action: str, detail: dict[str, Any] | None = None) -> str:
    """The Chinese name of an action, including those of the auditor workspace and the process library."""
    return audit_label(action, detail)


RULE_KEYS = ("rule", "rules", "rule_table", "decision_table", "dmn", "rule_version")


@dataclass(frozen=True)
class TrailEntry:
    event: AuditEvent
    label: str
    kind: str
    step: str
    role: str
    on_behalf_of: str
    comment: str
    changes: list[Change]
    attachments: list[dict[str, Any]]
    rules: list[str]
    extra: list[tuple[str, str]]


def trail(case: Case, events: list[AuditEvent]) -> list[TrailEntry]:
    return [_entry(case, e) for e in events]


def _entry(case: Case, event: AuditEvent) -> TrailEntry:
    detail = event.detail or {}
    changed = detail.get("changed") if isinstance(detail.get("changed"), dict) else {}
    kind = str(detail.get("decision") or event.action.replace(".", "-"))
    hidden = SHOWN_ELSEWHERE | set(RULE_KEYS) | (RULE_DETAIL if event.action == "rule.decided" else set())
    return TrailEntry(
        event, action_label(event.action, detail), kind,
        str(detail.get("step_name") or ""), str(detail.get("role") or ""), on_behalf_of(detail),
        str(detail.get("comment") or ""), field_changes(case, changed) if changed else [],
        _attachments(detail.get("attachments")), _rules(event.action, detail),
        [(field_label(k), _detail_text(case, k, v)) for k, v in sorted(detail.items()) if k not in hidden])


def _detail_text(case: Case, key: str, value: Any) -> str:
    """A detail value as read: the process by its name, the rest as text."""
    if key == "process" and value == case.process_key:
        return case.definition.name
    return _text(value)


def on_behalf_of(detail: dict[str, Any]) -> str:
    """The principal a proxy (代理人) or delegate acted for, when the event names one."""
    return str(detail.get("on_behalf_of_name") or detail.get("on_behalf_of") or detail.get("delegator_name") or "")


def _attachments(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else []
    return [a if isinstance(a, dict) else {"name": str(a)} for a in items]


def _rules(action: str, detail: dict[str, Any]) -> list[str]:
    """The rule-table version that chose the path: a ``rule.decided`` event, or rule keys in other events."""
    found = [f"{k}：{_text(detail[k])}" for k in RULE_KEYS if detail.get(k)]
    if action == "rule.decided":
        version = f"第 {detail['table_version']} 版" if detail.get("table_version") else "版本未登记"
        found.insert(0, f"决策表 {detail.get('table', '')} {version}；输入 {_json(detail.get('inputs') or {})}；"
                        f"结果 {_json(detail.get('result') or {})}")
    return found


def _json(value: Any) -> str:
    """The inputs and result of a decision table as the table names them, to re-run it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _text(value: Any) -> str:
    """A detail value in words: lists joined with 、, 是/否, keys of nested objects by their titles."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
        return "、".join(_text(v) for v in value) or "（无）"
    if isinstance(value, dict) and not any(isinstance(v, (dict, list)) for v in value.values()):
        return "；".join(f"{field_label(str(k))}：{_text(v)}" for k, v in sorted(value.items())) or "（无）"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def path_marks(case: Case, tasks: list[HumanTask], events: list[AuditEvent]) -> dict[str, str]:
    """BPMN element id -> done | returned | refused | current, the latest state of each step winning; decision
    tables that were evaluated count as done."""
    marks: dict[str, str] = {str(e.detail["step"]): "done" for e in events
                             if e.action == "rule.decided" and isinstance(e.detail, dict) and e.detail.get("step")}
    for task in sorted(tasks, key=lambda t: t.id):
        if task.status == "open":
            marks[task.bpmn_id] = "current"
        elif task.status == "completed":
            marks[task.bpmn_id] = {"reject": "refused", "return": "returned"}.get(task.decision or "", "done")
    return marks


def rule_versions(case: Case) -> list[str]:
    """The decision tables the case's process version was deployed with (by content fingerprint)."""
    tables = (case.definition.properties or {}).get("decisionTables") or {}
    sources = getattr(case.definition, "dmn_sources", None) or {}
    found = [f"{table}（指纹 {str(mark)[:12]}）" for table, mark in sorted(tables.items())]
    return found or [f"{name}" for name in sorted(sources)]

"""How the reviewer-workspace events read in a case's timeline (the step column)."""
from __future__ import annotations

from typing import Any

from engine.journal import AuditEvent


def step_text(event: AuditEvent, default: str) -> str:
    """The step name, with who was copied, urged, handed the task, or which step a 退回 went back to."""
    detail: dict[str, Any] = event.detail or {}
    names = "、".join(str(n) for n in detail.get("recipients") or detail.get("handlers") or [])
    if event.action == "case.copied":
        return f"抄送给 {names}"
    if event.action == "case.urged":
        return f"催办 {names}" if names else "催办（当前无处理人）"
    if detail.get("to_name"):
        return f"{default} → {detail['to_name']}"
    if detail.get("return_to_name"):
        return f"{default}（退回到 {detail['return_to_name']}）"
    if detail.get("on_behalf_of_name"):
        return f"{default}（代 {detail['on_behalf_of_name']}）"
    return default

"""The people picker's search: candidates for 代理人, 转办, 委派, 加签 and 抄送 by name or username (JSON)."""
from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_login import login_required

from engine.errors import InvalidData
from engine.review import pickers as pickers

from ..extensions import db_session
from . import bp
from .current import me


def _number(name: str) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InvalidData("编号无效", {name: "应为正整数"})
    return int(raw)


@bp.get("/people")
@login_required
def people() -> Any:
    """``/people?for=transfer&task=12&q=王`` → ``{"people": [{"username", "name", "label"}]}``."""
    purpose = pickers.purpose_of(request.args.get("for"))
    found = pickers.candidates(db_session(), me(), purpose, task_id=_number("task"), case_id=_number("case"),
                               query=request.args.get("q"))
    return jsonify({"people": [{"username": u.username, "name": u.name, "label": f"{u.name}（{u.username}）"}
                               for u in found]})

"""我的设置: 常用语 and 代理人, each change through one engine operation."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import Conflict, InvalidData, NotFound
from engine.input_limits import DATE_RANGE_HINT, in_date_range
from engine.review import phrases as phrases
from engine.review import pickers as pickers
from engine.review import proxies as proxies

from ..extensions import commit, db_session
from . import bp
from .current import me


def _settings_run(operation: Callable[[], Any], done: str) -> Any:
    try:
        operation()
    except (InvalidData, Conflict, NotFound) as error:
        db_session().rollback()
        detail = "；".join(error.fields.values()) if isinstance(error, InvalidData) and error.fields else ""
        flash(error.message + (f"：{detail}" if detail else ""), "error")
        return redirect(url_for("tasks.settings"))
    commit()
    flash(done, "success")
    return redirect(url_for("tasks.settings"))


def _form_date(name: str) -> date | None:
    raw = (request.form.get(name) or "").strip()
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidData("日期格式不正确", {name: "日期应为 YYYY-MM-DD"}) from None
    if day is not None and not in_date_range(day):
        raise InvalidData("日期超出范围", {name: DATE_RANGE_HINT})
    return day


@bp.get("/settings")
@login_required
def settings() -> Any:
    session, user = db_session(), me()
    return render_template("tasks/settings.html", phrases=phrases.phrases_for(session, user),
                           rules=proxies.my_rules(session, user), proxy_limits=proxies.proxy_limits,
                           proxy_people=pickers.matching(pickers.proxy_candidates(session, user), None))


@bp.post("/settings/phrases")
@login_required
def add_phrase() -> Any:
    return _settings_run(lambda: phrases.add_phrase(db_session(), me(), request.form.get("text")), "已保存常用语")


@bp.post("/settings/phrases/<int:phrase_id>/delete")
@login_required
def delete_phrase(phrase_id: int) -> Any:
    return _settings_run(lambda: phrases.delete_phrase(db_session(), me(), phrase_id), "已删除常用语")


@bp.post("/settings/proxy")
@login_required
def set_proxy() -> Any:
    def operation() -> None:
        rule = proxies.set_proxy(db_session(), me(), request.form.get("proxy", ""), _form_date("starts_on"),
                                 _form_date("ends_on"))
        for note in proxies.proxy_limits(rule.principal, rule.proxy):
            flash(note, "warning")
    return _settings_run(operation, "已设置代理人")


@bp.post("/settings/proxy/<int:rule_id>/cancel")
@login_required
def cancel_proxy(rule_id: int) -> Any:
    return _settings_run(lambda: proxies.cancel_proxy(db_session(), me(), rule_id), "已取消代理")

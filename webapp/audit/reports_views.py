"""Reports of the auditor workspace: tables with server-rendered SVG charts, and CSV exports."""
from __future__ import annotations

from typing import Any

from flask import get_template_attribute, render_template, request
from flask_login import login_required

from engine.audit import reports as reports
from engine.audit import search as audit_search
from engine.clock import beijing_today
from engine.errors import InvalidData, NotFound
from engine.runtime.deploy import process_keys

from ..extensions import commit, db_session, writes_on_read
from . import bp
from .views import download, me, scope

TABLES = ("counts", "cycle", "overdue") + tuple(t.key for t in reports.ANNUAL_TABLES)


def chosen_year() -> int:
    raw = request.args.get("year", "").strip()
    if not raw:
        return beijing_today().year
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidData("年份无效", {"year": "请填写 2000–2100 之间的年份"})
    return int(raw)


def gather(year: int) -> dict[str, Any]:
    session, mine = db_session(), scope()
    cases = reports.cases_in_year(session, mine, year)
    known = process_keys(session)
    return {"counts": reports.counts(session, cases), "cycle": reports.cycle_times(session, cases),
            "overdue": reports.overdue(session, cases), "annual": reports.annual_tables(session, mine, year, known)}


@bp.route("/reports")
@login_required
def report_page() -> Any:
    year = chosen_year()
    data = gather(year)
    bar_chart = get_template_attribute("audit/_chart.html", "bar_chart")
    charts = {
        "counts": bar_chart([(f"{r.org} · {r.process}", r.total) for r in data["counts"]], " 件"),
        "cycle": bar_chart([(r.process, r.average_hours) for r in data["cycle"] if r.step == "全流程"], " 小时"),
        "overdue": bar_chart([(r.process, r.share) for r in data["overdue"]], "%"),
    }
    return render_template("audit/reports.html", year=year, charts=charts, **data)


@bp.route("/reports/<table>.csv")
@login_required
@writes_on_read
def report_csv(table: str) -> Any:
    if table not in TABLES:
        raise NotFound("报表不存在")
    year = chosen_year()
    headers, rows = table_rows(gather(year), table)
    audit_search.log_export(db_session(), me(), {"year": str(year)}, "csv", len(rows), report=table)
    commit()
    return download(reports.to_csv(headers, rows), "text/csv; charset=utf-8", f"baguan-{table}-{year}.csv")


def table_rows(data: dict[str, Any], table: str) -> tuple[list[str], list[list[Any]]]:
    if table == "counts":
        return (["学会", "流程", "事项数", "审批中", "已办结", "已驳回"],
                [[r.org, r.process, r.total, r.running, r.completed, r.rejected] for r in data["counts"]])
    if table == "cycle":
        return (["流程", "步骤", "已完成数", "平均用时（小时）", "最长用时（小时）"],
                [[r.process, r.step, r.finished, r.average_hours, r.longest_hours] for r in data["cycle"]])
    if table == "overdue":
        return (["流程", "有时限的步骤", "超时", "超时占比（%）"],
                [[r.process, r.with_deadline, r.overdue, r.share] for r in data["overdue"]])
    filled = next(t for t in data["annual"] if t.table.key == table)
    return filled.headers, filled.rows

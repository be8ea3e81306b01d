"""节假日: the holiday table admins maintain, with an upload of the documented CSV."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine.errors import BadRequest, InvalidData
from engine.library import holidays as holidays

from ..extensions import commit, db_session
from . import bp
from .views import me

MAX_CSV_BYTES = 64 * 1024


@bp.context_processor
def _holiday_banner() -> dict[str, Any]:
    """Admin pages warn about years without holiday data (see admin/_nav.html)."""
    def missing() -> list[int]:
        return holidays.banner_years(db_session(), date.today())
    return {"holiday_years_missing": missing, "holiday_missing_message": holidays.missing_years_message}


@bp.route("/holidays")
def holidays_page() -> Any:
    session = db_session()
    table = holidays.table_years(session)
    today = date.today()
    years = sorted(set(table) | {today.year, today.year + 1})
    chosen = _year_arg(years[-1] if table else today.year + 1)
    return render_template("admin/holidays.html", coverage=holidays.coverage(session, set(years)),
                           year=chosen, entries=holidays.entries_of(session, chosen))


def _year_arg(default: int) -> int:
    raw = request.args.get("year", "")
    if not raw:
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise BadRequest("年份应为 2000 至 2100 之间的四位数字")
    return int(raw)


@bp.route("/holidays/import", methods=("POST",))
def holidays_import() -> Any:
    file = request.files.get("file")
    if file is None or not file.filename:
        raise BadRequest("请选择要导入的 CSV 文件")
    data = file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise BadRequest("文件太大：节假日 CSV 不应超过 64 KB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidData("文件不是 UTF-8 编码", {"file": "请用 UTF-8 保存 CSV（Excel：另存为「CSV UTF-8」）"}) from None
    session = db_session()
    result = holidays.import_entries(session, holidays.parse_csv(text), actor=me(), source=file.filename)
    commit()
    holidays.refresh(session)
    session.rollback()
    years = "、".join(str(y) for y in result.years)
    flash(f"已导入 {years} 年的节假日数据，共 {result.count} 天", "success")
    return redirect(url_for("admin.holidays_page", year=result.years[-1]))

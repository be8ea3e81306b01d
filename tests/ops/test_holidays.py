"""Holidays beyond chinese-calendar's data: the admins' table decides first, a year without data is never
silent (log warning, ``baguan holidays check``, admin banner), and the 2027 dates ship with Baguan."""
from __future__ import annotations

import logging
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine import holiday_calendar as holiday_calendar
from engine.cases import operations as cases
from engine.journal import AuditEvent
from engine.library import holidays as holidays
from engine.library.models import HolidayDay
from engine.runtime.models import HumanTask
from engine.workdays import add_working_days, is_working_day

from ..conftest import ANNUAL_PLAN, World
from ..security.helpers import assert_clean_failure, run_cli

Login = Callable[[str], FlaskClient]
NOTICE_2028 = "date,kind,name\n2028-01-01,放假,元旦\n2028-01-29,调休,春节\n"


def _table(world: World) -> dict[date, str]:
    with world.sessions() as session:
        return {row.day: row.kind for row in session.scalars(select(HolidayDay))}


def _import(world: World, text: str) -> holidays.ImportResult:
    with world.sessions() as session, session.begin():
        result = holidays.import_entries(session, holidays.parse_csv(text))
        holidays.refresh(session)
    return result


def test_new_years_day_2027_is_a_holiday_once_the_bundled_dates_are_deployed(world: World, db_url: str) -> None:
    assert not holiday_calendar.library_covers(2027)
    result = run_cli(db_url, "deploy")
    assert result.exit_code == 0, result.output
    assert "已导入随附的节假日数据：2027 年，共 15 天" in result.stdout
    with world.sessions() as session:
        holidays.refresh(session)
    assert not is_working_day(date(2027, 1, 1))
    assert [is_working_day(date(2027, 2, d)) for d in (4, 5, 8, 9)] == [True, False, False, True]
    assert add_working_days(datetime(2026, 12, 31, 9, 0), 1) == datetime(2027, 1, 4, 9, 0)


def test_the_table_decides_before_the_library_and_make_up_days_are_worked(world: World) -> None:
    assert is_working_day(date(2026, 10, 3)) is False
    _import(world, "date,kind,name\n2026-10-03,调休,国庆节（测试）\n2028-01-29,调休,春节\n2028-01-03,放假,元旦\n")
    assert is_working_day(date(2026, 10, 3)) is True
    assert is_working_day(date(2026, 10, 2)) is False
    assert is_working_day(date(2028, 1, 29)) is True
    assert is_working_day(date(2028, 1, 3)) is False
    assert is_working_day(date(2028, 1, 4)) is True


def test_a_year_without_data_is_counted_monday_to_friday_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="baguan.holidays"):
        assert is_working_day(date(2041, 1, 1)) is True
        assert is_working_day(date(2041, 1, 2)) is True
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and warnings[0].startswith("2041 年没有节假日数据")


def test_an_import_replaces_whole_years_and_is_audited(world: World) -> None:
    _import(world, NOTICE_2028 + "2028-10-01,放假,国庆节\n")
    assert _import(world, NOTICE_2028) == holidays.ImportResult((2028,), 2)
    assert _table(world) == {date(2028, 1, 1): "off", date(2028, 1, 29): "work"}
    with world.sessions() as session:
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action == "holidays.imported")))
    assert actions == ["holidays.imported", "holidays.imported"]


@pytest.mark.parametrize(("text", "message"), [
    ("", "节假日文件是空的"),
    ("日期,类型,名称\n2028-01-01,放假,元旦\n", "第 1 行应为表头 date,kind,name"),
    ("date,kind,name\n2028-13-01,放假,元旦\n", "日期 '2028-13-01' 格式应为 YYYY-MM-DD"),
    ("date,kind,name\n2028-01-01,休息,元旦\n", "类型 '休息' 只能是 放假 或 调休"),
    ("date,kind,name\n2028-01-03,调休,元旦\n", "2028-01-03 是工作日，不能标为调休上班"),
    ("date,kind,name\n2028-01-01,放假\n", "应有三列"),
    ("date,kind,name\n2028-01-01,放假,元旦\n2028-01-01,放假,元旦\n", "日期 2028-01-01 重复"),
])
def test_a_bad_file_is_refused_line_by_line_and_nothing_is_saved(world: World, db_url: str, tmp_path: Path,
                                                                  text: str, message: str) -> None:
    _import(world, NOTICE_2028)
    path = tmp_path / "notice.csv"
    path.write_text(text, encoding="utf-8")
    line = assert_clean_failure(run_cli(db_url, "holidays", "import", str(path)))
    assert line.startswith("错误：") and message in line
    assert _table(world) == {date(2028, 1, 1): "off", date(2028, 1, 29): "work"}


def test_cli_import_then_check(world: World, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "2028.csv"
    path.write_text("\ufeff# 国务院办公厅通知（测试）\n" + NOTICE_2028, encoding="utf-8")
    result = run_cli(db_url, "holidays", "import", str(path))
    assert result.exit_code == 0 and result.stdout == "已导入 2028 年的节假日数据，共 2 天\n"
    assert not is_working_day(date(2028, 1, 1))
    check = run_cli(db_url, "holidays", "check")
    assert check.exit_code == 0 and check.stdout.startswith("节假日数据齐全")
    missing = assert_clean_failure(run_cli(db_url, "holidays", "import", str(tmp_path / "absent.csv")))
    assert missing.startswith("错误：无法读取节假日文件")


def _open_plan_due_in(world: World, year: int) -> None:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "annual_plan", world.org(session, "XH"),
                                "年度工作计划", {**ANNUAL_PLAN, "plan_year": year})
        session.execute(update(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open")
                        .values(due_at=datetime(year, 1, 15, 9, 0)))


def test_check_fails_when_an_open_deadline_falls_in_a_year_without_data(world: World, db_url: str) -> None:
    _open_plan_due_in(world, 2028)
    line = assert_clean_failure(run_cli(db_url, "holidays", "check"))
    assert line.startswith("错误：2028 年没有节假日数据")
    _import(world, NOTICE_2028)
    assert run_cli(db_url, "holidays", "check").exit_code == 0


def test_admin_page_shows_the_banner_and_imports_a_notice(world: World, login: Login) -> None:
    client = login("admin")
    next_year = date.today().year + 1
    page = client.get("/admin/holidays").get_data(as_text=True)
    if not holiday_calendar.library_covers(next_year):
        assert f"{next_year} 年没有节假日数据" in page and 'class="alert alert-warning holiday-banner"' in page
    csv = "\n".join(["date,kind,name", *(f"{next_year}-{m:02d}-{d:02d},放假,测试假日" for m, d in ((1, 1), (10, 1)))])
    response = client.post("/admin/holidays/import", data={"file": (BytesIO(csv.encode("utf-8")), "notice.csv")},
                           content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"已导入 {next_year} 年的节假日数据，共 2 天" in page
    assert "holiday-banner" not in page and f"{next_year}-01-01（" in page
    assert not is_working_day(date(next_year, 10, 1)) or date(next_year, 10, 1).weekday() >= 5


def test_admin_import_of_a_bad_file_is_a_chinese_422_and_saves_nothing(world: World, login: Login) -> None:
    client = login("admin")
    for payload, expected in ((b"date,kind,name\n2028-02-30,\xe6\x94\xbe\xe5\x81\x87,x\n", "格式应为 YYYY-MM-DD"),
                              (b"\xff\xfe\x00bad", "文件不是 UTF-8 编码")):
        response = client.post("/admin/holidays/import", data={"file": (BytesIO(payload), "bad.csv")},
                               content_type="multipart/form-data")
        assert response.status_code == 422 and expected in response.get_data(as_text=True)
    assert _table(world) == {}
    assert client.get("/admin/holidays?year=abc").status_code == 400


def test_the_page_is_for_admins_only(world: World, login: Login) -> None:
    assert login("xh_staff").get("/admin/holidays").status_code == 404


def test_bundled_dates_do_not_overwrite_an_admins_import(world: World) -> None:
    _import(world, "date,kind,name\n2027-01-01,放假,元旦（管理员导入）\n")
    with world.sessions() as session, session.begin():
        assert holidays.import_bundled(session) == holidays.ImportResult((), 0)
    assert _table(world) == {date(2027, 1, 1): "off"}


def test_the_web_app_reloads_a_stale_calendar_on_a_request(world: World, login: Login) -> None:
    _import(world, NOTICE_2028)
    holiday_calendar.install(holiday_calendar.HolidayCalendar())
    login("xh_staff").get("/")
    assert holiday_calendar.current().days == {date(2028, 1, 1): holiday_calendar.DayKind.OFF,
                                               date(2028, 1, 29): holiday_calendar.DayKind.WORK}

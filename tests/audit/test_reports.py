"""Report figures against hand-counted fixtures: counts, cycle times, overdue share and an annual-return table."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.audit import reports as reports
from engine.audit.search import audit_scope
from engine.runtime.models import Case, HumanTask

from ..conftest import World
from .helpers import decide, file_plan, run_plan_through

Login = Callable[[str], FlaskClient]
JAN = datetime(2026, 3, 2, 1, 0)  # 09:00 Beijing


def _backdate(world: World, case_id: int, hours_per_step: int) -> None:
    """Give every step of a case a known duration: step i opens at JAN + i*h and closes at JAN + (i+1)*h."""
    with world.sessions() as session, session.begin():
        tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case_id).order_by(HumanTask.id)).all()
        for i, task in enumerate(tasks):
            task.created_at = JAN + timedelta(hours=i * hours_per_step)
            if task.completed_at:
                task.completed_at = task.created_at + timedelta(hours=hours_per_step)
            task.due_at = task.created_at + timedelta(hours=3)
        case = session.get(Case, case_id)
        assert case is not None
        case.created_at = JAN
        if case.finished_at:
            case.finished_at = JAN + timedelta(hours=len(tasks) * hours_per_step)


def _fixtures(world: World, plan: dict[str, Any]) -> None:
    """XH: one plan 已备案 (steps of 2 h each, within the 3 h deadline) and one rejected at the first review
    (steps of 4 h, late); YH: one still waiting at its first review (open, due long ago)."""
    done = file_plan(world, plan, "XH", "已备案的计划")
    run_plan_through(world, done, "XH")
    rejected = file_plan(world, plan, "XH", "被驳回的计划")
    decide(world, rejected, "xh_sg", "reject", "不符合要求")
    waiting = file_plan(world, plan, "YH", "等待中的计划")
    _backdate(world, done, 2)
    _backdate(world, rejected, 4)
    _backdate(world, waiting, 4)


def test_counts_cycle_times_and_overdue_share(world: World, plan_data: dict[str, Any]) -> None:
    _fixtures(world, plan_data)
    with world.sessions() as session:
        scope = audit_scope(session, world.user(session, "auditor"))
        cases = reports.cases_in_year(session, scope, 2026)
        assert [(r.org, r.total, r.running, r.completed, r.rejected) for r in reports.counts(session, cases)] == [
            ("天津市另一学会", 1, 1, 0, 0), ("天津市测试学会", 2, 0, 1, 1)]
        cycle = {(r.step, r.finished): (r.average_hours, r.longest_hours) for r in reports.cycle_times(session, cases)}
        # 已备案: draft + 6 steps (with 财务审核 and the council meeting) of 2 h = 14 h; 驳回: draft + 1 review of 4 h
        assert cycle[("全流程", 2)] == (11.0, 14.0)
        assert cycle[("秘书长审核", 2)] == (3.0, 4.0)
        assert cycle[("党组织前置审查", 1)] == (2.0, 2.0)
        now = JAN + timedelta(days=1)
        [row] = reports.overdue(session, cases, now)
        # 2 h steps: 7 on time; 4 h steps: 2 late (rejected case) + waiting case: draft late, open review late
        assert (row.with_deadline, row.overdue, row.share) == (11, 4, 36.4)
        assert reports.cases_in_year(session, scope, 2025) == []
        xh_only = audit_scope(session, world.user(session, "xh_sg"))
        assert xh_only.org_ids == frozenset()


def test_annual_donation_table_from_case_data(world: World, plan_data: dict[str, Any]) -> None:
    """Donation cases (a process issue 3 adds) are summed by origin; only completed cases of the year count."""
    ids = [file_plan(world, plan_data, "XH", f"捐赠 {i}") for i in range(4)]
    rows = [({"donor_name": "某企业", "donor_type": "境内法人或其他组织", "amount_cny": 50000, "purpose": "学术年会",
              "arrival_date": "2026-05-01"}, "completed"),
            ({"donor_name": "某基金会", "donor_type": "境外组织", "amount_cny": 120000.5, "purpose": "青年人才",
              "arrival_date": "2026-08-09"}, "completed"),
            ({"donor_name": "某个人", "donor_type": "境内自然人", "amount_cny": 999, "arrival_date": "2025-12-30"},
             "completed"),
            ({"donor_name": "未批", "donor_type": "境内自然人", "amount_cny": 7, "arrival_date": "2026-02-01"},
             "rejected")]
    with world.sessions() as session, session.begin():
        for case_id, (data, status) in zip(ids, rows):
            session.execute(update(Case).where(Case.id == case_id).values(process_key="donation", data=data,
                                                                          status=status))
    with world.sessions() as session:
        scope = audit_scope(session, world.user(session, "auditor"))
        tables = {t.table.key: t for t in reports.annual_tables(session, scope, 2026, {"donation"})}
    donations = tables["donations"]
    assert [r[2] for r in donations.rows] == ["某企业", "某基金会"]
    assert [r[4] for r in donations.rows] == ["境内", "境外"]
    assert donations.headers[2:6] == ["捐赠方", "捐赠方类型", "境内/境外", "折合人民币（元）"]
    assert donations.subtotals == [("境内", 50000.0), ("境外", 120000.5)]
    assert tables["fees"].rows == [] and not tables["fees"].process_exists
    assert tables["events"].rows == [] and not tables["events"].process_exists


def test_report_page_and_csv(world: World, plan_data: dict[str, Any], login: Login) -> None:
    _fixtures(world, plan_data)
    client = login("auditor")
    page = client.get("/audit/reports?year=2026")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in text and "天津市测试学会" in text and "年报附表" in text
    body = client.get("/audit/reports/counts.csv?year=2026").get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    assert [[r[0]] + r[2:] for r in rows] == [["天津市另一学会", "1", "1", "0", "0"], ["天津市测试学会", "2", "0", "1", "1"]]
    assert all("年度工作计划" in r[1] for r in rows)
    logged = [e for e in _exports(world) if e.detail.get("report") == "counts"]
    assert [(e.actor_name, e.detail["filters"], e.detail["count"]) for e in logged] == [("测试auditor", {"year": "2026"}, 2)]
    assert client.get("/audit/reports?year=abc").status_code == 422
    assert client.get("/audit/reports/nothing.csv").status_code == 404
    assert login("xh_staff").get("/audit/reports").status_code == 404


def test_annual_events_table_reads_the_academic_event_fields(world: World, plan_data: dict[str, Any]) -> None:
    ids = [file_plan(world, plan_data, society, f"活动 {i}") for i, society in enumerate(("XH", "YH", "XH"))]
    data = [{"event_name": "青年科学家论坛", "event_type": "论坛", "start_date": "2026-04-18", "venue": "天津科技馆",
             "expected_count": 200, "foreign_involved": False},
            {"event_name": "国际研讨会", "event_type": "研讨会", "start_date": "2026-09-01", "venue": "线上",
             "expected_count": 80, "foreign_involved": True},
            {"event_name": "明年的讲座", "event_type": "讲座", "start_date": "2027-01-05"}]
    with world.sessions() as session, session.begin():
        for case_id, values in zip(ids, data):
            session.execute(update(Case).where(Case.id == case_id).values(process_key="academic_event", data=values,
                                                                          status="completed"))
    with world.sessions() as session:
        xh_scope = audit_scope(session, world.user(session, "xh_sg"))
        assert not xh_scope.org_ids
        scope = audit_scope(session, world.user(session, "auditor"))
        [events] = [t for t in reports.annual_tables(session, scope, 2026, {"academic_event"}) if t.table.key == "events"]
    assert [r[2:] for r in events.rows] == [["青年科学家论坛", "论坛", "2026-04-18", "天津科技馆", "200", "否"],
                                            ["国际研讨会", "研讨会", "2026-09-01", "线上", "80", "是"]]
    assert events.process_exists


def test_branch_and_fee_tables_read_their_processes_fields(world: World, plan_data: dict[str, Any]) -> None:
    ids = [file_plan(world, plan_data, "XH", f"事项 {i}") for i in range(2)]
    branch = {"branch_name": "天津市测试学会青年工作委员会", "branch_type": "工作委员会", "business_scope": "青年人才",
              "leaders": [{"post": "主任委员", "name": "张三"}, {"post": "秘书长", "name": "李四"}],
              "establish_number": "津测学〔2026〕3号"}
    fee = {"fee_name": "继续教育培训费", "fee_category": "培训", "change_type": "新增", "amount": 800, "unit": "人次",
           "audience": "会员", "basis": "章程第十条", "effective_date": "2026-07-01"}
    with world.sessions() as session, session.begin():
        for case_id, key, values in ((ids[0], "branch", branch), (ids[1], "fee_filing", fee)):
            session.execute(update(Case).where(Case.id == case_id).values(process_key=key, data=values,
                                                                          status="completed"))
    with world.sessions() as session:
        scope = audit_scope(session, world.user(session, "auditor"))
        tables = {t.table.key: t for t in reports.annual_tables(session, scope, 2026, {"branch", "fee_filing"})}
    assert [r[2:] for r in tables["branches"].rows] == [["天津市测试学会青年工作委员会", "工作委员会",
                                                        "主任委员 张三、秘书长 李四", "青年人才", "津测学〔2026〕3号"]]
    assert [r[2:] for r in tables["fees"].rows] == [["继续教育培训费", "培训", "新增", "800", "人次", "会员", "章程第十条",
                                                    "2026-07-01"]]
    assert tables["commendations"].rows == [] and tables["donations"].rows == []


def _exports(world: World) -> list[Any]:
    from engine.journal import AuditEvent
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")))

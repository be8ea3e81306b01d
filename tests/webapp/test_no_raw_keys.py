"""One vocabulary: no page or export a person reads shows an internal key (``meeting_result``, ``quorum``,
``has_foreign_items``, ``recipient_ids``) or an unlabelled code (``task.completed``, ``approve``, ``annual_plan``)."""
from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any, Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from engine.audit import reports as reports
from engine.review import case_ops as case_ops
from engine.runtime.models import HumanTask
from engine.vocabulary import AuditAction, CaseStatus, Decision, TaskKind, TaskStatus

from ..audit.helpers import decide as engine_decide
from ..audit.helpers import file_plan as engine_file_plan
from ..conftest import World
from ..plan_walk import FOREIGN_STEPS, actor
from .helpers import page

Login = Callable[[str], FlaskClient]

SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")
DOTTED = re.compile(r"\b[a-z]+\.[a-z_]+\b")
ACTIONS = {a.value for a in AuditAction}
CODES = {v.value for enum in (CaseStatus, TaskStatus, Decision, TaskKind) for v in enum} | {"annual_plan"}
HIDDEN = re.compile(r"<(script|style|textarea)\b.*?</\1>|<!--.*?-->", re.S | re.I)
TAG = re.compile(r"<[^>]*>", re.S)
URL = re.compile(r"\b(?:https?://|/)[^\s<>\"']*")


def visible_text(body: str) -> str:
    """What a reader sees: tags, scripts, styles and attributes stripped, entities decoded, URLs removed."""
    return URL.sub(" ", html.unescape(TAG.sub(" ", HIDDEN.sub(" ", body))))


def raw_keys(text: str, usernames: frozenset[str] = frozenset()) -> set[str]:
    """snake_case keys and audit action codes in ``text``; login names (``xh_sg``) are what people type."""
    found = set(SNAKE.findall(text)) | {token for token in DOTTED.findall(text) if token in ACTIONS}
    return found - usernames


def csv_leaks(body: str, header_only: bool = False) -> set[str]:
    """Raw keys and codes in a CSV export's cells (an annual table may have no rows for this year)."""
    rows = list(csv.reader(io.StringIO(body)))
    assert header_only or len(rows) > 1
    found: set[str] = set()
    for row in rows:
        for cell in row:
            found |= raw_keys(cell)
            if cell in CODES:
                found.add(cell)
    return found


def walk_foreign_plan(world: World, plan: dict[str, Any]) -> int:
    """A plan with a foreign key task, through every step of the annual plan to 已备案."""
    plan["key_tasks"][0]["foreign"] = True
    case_id = engine_file_plan(world, plan)
    for step in FOREIGN_STEPS[1:]:
        username, data = actor(step)
        if step == "cast_filing":
            data = {"filing_number": "津科协备〔2027〕1号", "filing_date": "2027-01-15"}
        engine_decide(world, case_id, username, data=data)
        if step == "finance_check":
            urge_and_copy(world, case_id)
    return case_id


def urge_and_copy(world: World, case_id: int) -> None:
    """催办 and 抄送 by the filer: their events carry handlers and recipient ids."""
    with world.sessions() as session, session.begin():
        staff = world.user(session, "xh_staff")
        case_ops.urge_case(session, staff, case_id, "请尽快审核")
        case_ops.copy_case(session, staff, case_id, ["xh_president"], "请知悉")


def task_of(world: World, case_id: int, step: str) -> int:
    with world.sessions() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id, HumanTask.bpmn_id == step)).one()


def test_pages_and_exports_show_no_raw_keys(world: World, login: Login, plan_data: dict[str, Any]) -> None:
    case_id = walk_foreign_plan(world, plan_data)
    pages: dict[str, str] = {}
    staff = login("xh_staff")
    for path in (f"/cases/{case_id}", f"/cases/{case_id}/print", "/started"):
        response = staff.get(path)
        assert response.status_code == 200, path
        pages[path] = page(response)
    sg = login("xh_sg")
    pages["/done"] = page(sg.get("/done"))
    for step in ("sg_review", "council_meeting"):
        response = sg.get(f"/tasks/{task_of(world, case_id, step)}")
        assert response.status_code == 200, step
        pages[step] = page(response)
    auditor = login("auditor")
    for path in (f"/audit/cases/{case_id}", "/audit/search", "/audit/reports"):
        response = auditor.get(path)
        assert response.status_code == 200, path
        pages[path] = page(response)
    usernames = frozenset(world.user_ids)
    leaks = {path: raw_keys(visible_text(body), usernames) for path, body in pages.items()}
    exported = auditor.get("/audit/search/export.csv")
    assert exported.status_code == 200
    leaks["/audit/search/export.csv"] = csv_leaks(exported.get_data(as_text=True))
    for table in ("counts", "cycle", "overdue", *(t.key for t in reports.ANNUAL_TABLES)):
        report = auditor.get(f"/audit/reports/{table}.csv")
        assert report.status_code == 200, table
        leaks[f"/audit/reports/{table}.csv"] = csv_leaks(report.get_data(as_text=True), header_only=True)
    leaked = {path: sorted(found) for path, found in leaks.items() if found}
    assert not leaked, leaked


def test_the_start_form_with_a_draft_and_the_batch_pages_show_no_raw_keys(world: World, login: Login, tmp_path: Path,
                                                                         plan_data: dict[str, Any]) -> None:
    staff = login("xh_staff")
    staff.application.config["UPLOAD_DIR"] = str(tmp_path / "uploads")
    staff.post("/start/annual_plan", data={"_title": "2027 计划", "plan_year": "2027", "decision": "save_draft",
                                           "files": [(io.BytesIO(b"%PDF-1.4\n"), "预算表.pdf")]},
               content_type="multipart/form-data")
    pages = {"/start/annual_plan": page(staff.get("/start/annual_plan"))}
    assert "预算表.pdf" in pages["/start/annual_plan"]
    engine_file_plan(world, plan_data)
    sg = login("xh_sg")
    pages["/"] = page(sg.get("/"))
    tasks = sorted(set(re.findall(r'name="task_ids" value="(\d+)"', pages["/"])))
    assert tasks
    refused = sg.post("/tasks/batch", data={"task_ids": tasks, "comment": "同意。"}, follow_redirects=True)
    pages["batch refused"] = page(refused)
    done = sg.post("/tasks/batch", data={"task_ids": tasks, "comment": "同意。", "checks_confirmed": "1"},
                   follow_redirects=True)
    pages["batch approved"] = page(done)
    assert "已同意 1 件" in pages["batch approved"]
    usernames = frozenset(world.user_ids)
    leaked = {path: sorted(found) for path, body in pages.items()
              if (found := raw_keys(visible_text(body), usernames))}
    assert not leaked, leaked


def test_the_check_sees_keys_in_text_but_not_in_markup() -> None:
    body = ('<a href="/cases/1?sort=due_at" data-kind="task.completed">办结</a><script>let a_b = 1;</script>'
            '<td>meeting_result</td><td>task.completed</td><td>xh_sg</td><td>www.example.org</td>')
    assert raw_keys(visible_text(body), frozenset({"xh_sg"})) == {"meeting_result", "task.completed"}

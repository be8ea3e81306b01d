"""The auditor workspace over HTTP: scoping, the chain status, search and export, the case page, the dossier."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.audit import dossier as dossier
from engine.journal import AuditEvent

from ..conftest import World, add_test_user
from .helpers import as_database_owner, decide, file_plan, run_plan_through

Login = Callable[[str], FlaskClient]
KEY = b"test-secret-key-0123456789"


@pytest.fixture
def auditors(world: World) -> None:
    """A society auditor of XH and a 监事 of YH, beside the 科协's auditor of the seeded world."""
    with world.sessions() as session, session.begin():
        add_test_user(session, "xh_auditor", [("auditor", world.org_ids["XH"])])
        add_test_user(session, "yh_supervisor", [("supervisor", world.org_ids["YH"])])


@pytest.fixture
def two_cases(world: World, plan_data: dict[str, Any], auditors: None) -> tuple[int, int]:
    xh = file_plan(world, plan_data, "XH", "测试学会计划")
    decide(world, xh, "xh_sg", "return", "请补充预算依据")
    yh = file_plan(world, plan_data, "YH", "另一学会计划")
    run_plan_through(world, yh, "YH")
    return xh, yh


def _events(world: World, action: str) -> list[AuditEvent]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_each_auditor_sees_only_their_scope(two_cases: tuple[int, int], login: Login) -> None:
    xh, yh = two_cases
    expectations = {"auditor": (200, 200), "xh_auditor": (200, 404), "yh_supervisor": (404, 200)}
    for username, (see_xh, see_yh) in expectations.items():
        client = login(username)
        assert client.get(f"/audit/cases/{xh}").status_code == see_xh, username
        assert client.get(f"/audit/cases/{yh}").status_code == see_yh, username
        assert client.get(f"/audit/cases/{yh}/dossier.zip").status_code == see_yh, username
    for username in ("xh_staff", "xh_sg", "cast", "admin"):
        assert login(username).get("/audit/").status_code == 404, username
        assert login(username).get(f"/audit/cases/{xh}").status_code == 404, username


def test_search_and_export_never_cross_the_scope(two_cases: tuple[int, int], login: Login, world: World) -> None:
    xh, yh = two_cases
    client = login("xh_auditor")
    page = client.get("/audit/search").get_data(as_text=True)
    assert "测试学会计划" in page and "另一学会计划" not in page
    exported = json.loads(client.get("/audit/search/export.json").get_data(as_text=True))
    assert exported["count"] > 0 and {e["case_id"] for e in exported["events"]} - {None} == {xh}
    assert {e["org_id"] for e in exported["events"]} == {world.org_ids["XH"]}
    other = json.loads(client.get(f"/audit/search/export.json?org={world.org_ids['YH']}").get_data(as_text=True))
    assert other["count"] == 0
    everything = json.loads(login("auditor").get("/audit/search/export.json").get_data(as_text=True))
    assert {xh, yh} <= {e["case_id"] for e in everything["events"]}
    assert any(e["action"] == "login.succeeded" for e in everything["events"]), "the 科协 sees system events"


def test_search_filters_by_outcome_person_process_and_period(two_cases: tuple[int, int], login: Login) -> None:
    client = login("auditor")

    def ids(query: str) -> list[dict[str, Any]]:
        response = client.get(f"/audit/search/export.json?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return json.loads(response.get_data(as_text=True))["events"]

    returned = ids("outcome=return")
    assert [(e["actor_name"], e["comment"]) for e in returned] == [("测试xh_sg", "请补充预算依据")]
    assert {e["actor_name"] for e in ids("person=yh_president")} == {"测试yh_president"}
    assert len(ids("process=annual_plan&action=case.started")) == 2
    assert ids("from=2000-01-01&to=2000-12-31") == []
    bad = client.get("/audit/search?from=yesterday&outcome=maybe")
    assert bad.status_code == 422 and "日期格式应为 YYYY-MM-DD" in bad.get_data(as_text=True)


def test_csv_export_is_excel_friendly_and_logged(two_cases: tuple[int, int], login: Login, world: World) -> None:
    response = login("auditor").get("/audit/search/export.csv?outcome=return")
    body = response.get_data()
    assert response.mimetype == "text/csv" and body.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["事件编号", "时间（北京时间）", "动作", "操作人"]
    assert len(rows) == 2 and rows[1][3] == "测试xh_sg" and rows[1][12] == "请补充预算依据"
    logged = _events(world, "audit.exported")
    assert [(e.actor_name, e.detail["format"], e.detail["count"]) for e in logged] == [("测试auditor", "csv", 1)]


def test_the_case_page_shows_the_timeline_and_marks_the_path(two_cases: tuple[int, int], login: Login) -> None:
    xh, _ = two_cases
    client = login("xh_auditor")
    page = client.get(f"/audit/cases/{xh}")
    text = page.get_data(as_text=True)
    assert "unsafe-inline" in page.headers["Content-Security-Policy"]
    assert "请补充预算依据" in text and "退回修改" in text and "秘书长" in text
    marks = text.split('data-marks="')[1].split('"')[0].replace("&#34;", '"')
    assert json.loads(marks) == {"draft": "current", "sg_review": "returned"}
    diagram = client.get(f"/audit/cases/{xh}/diagram.bpmn")
    assert diagram.mimetype == "application/xml" and b"sg_review" in diagram.get_data()


def test_the_dossier_verifies_offline_and_a_tampered_one_is_refused(two_cases: tuple[int, int], login: Login,
                                                                    world: World, tmp_path: Any) -> None:
    _, yh = two_cases
    login("auditor").post("/audit/checkpoints")
    response = login("yh_supervisor").get(f"/audit/cases/{yh}/dossier.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = response.get_data()
    names = set(zipfile.ZipFile(io.BytesIO(archive)).namelist())
    assert {"case.json", "history.json", "diagram.bpmn", "proof/chain.json", "proof/checkpoint.json"} <= names
    verdict = dossier.verify(archive, KEY)
    assert verdict.ok, verdict.problems
    assert any("检查点" in n for n in verdict.notes)
    exported = _events(world, "case.dossier_exported")
    assert [(e.case_id, e.actor_name) for e in exported] == [(yh, "测试yh_supervisor")]
    history = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("history.json"))
    assert history[-1]["action"] == "case.dossier_exported"
    chain = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("proof/chain.json"))
    assert all(e.get("redacted") for e in chain if e.get("org_id", world.org_ids["XH"]) == world.org_ids["XH"]
               and e.get("case_id") != yh and "detail" not in e), "other societies' events are links only"
    assert not any(e.get("org_id") == world.org_ids["XH"] for e in chain), "no XH content in YH's dossier"
    tampered = _rewrite(archive, "history.json", lambda b: b.replace("同意".encode(), "不同意".encode(), 1))
    assert not dossier.verify(tampered, KEY).ok
    (tmp_path / "d.zip").write_bytes(archive)
    assert dossier.main(["verify", str(tmp_path / "d.zip"), "--key", KEY.decode()]) == 0
    assert not dossier.verify(archive, b"wrong-key").ok


def _rewrite(archive: bytes, name: str, change: Callable[[bytes], bytes]) -> bytes:
    """A dossier with one file changed and its manifest digest recomputed (but not re-signed)."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    files = {n: source.read(n) for n in source.namelist()}
    files[name] = change(files[name])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for n, body in files.items():
            target.writestr(n, body)
    return buffer.getvalue()


def test_a_dossier_with_its_chain_edited_and_digests_redone_fails_without_the_signature(
        two_cases: tuple[int, int], login: Login) -> None:
    import hashlib
    _, yh = two_cases
    archive = login("auditor").get(f"/audit/cases/{yh}/dossier.zip").get_data()

    def forge(files: dict[str, bytes]) -> None:
        files["history.json"] = files["history.json"].replace("测试yh_sg".encode(), "他人".encode())
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["history.json"] = hashlib.sha256(files["history.json"]).hexdigest()
        files["manifest.json"] = json.dumps(manifest).encode()

    source = zipfile.ZipFile(io.BytesIO(archive))
    files = {n: source.read(n) for n in source.namelist()}
    forge(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for n, body in files.items():
            target.writestr(n, body)
    verdict = dossier.verify(buffer.getvalue(), None)
    assert not verdict.ok and any("不在链片段中或与之不符" in p for p in verdict.problems)


def test_the_chain_status_page_names_the_first_broken_event(two_cases: tuple[int, int], login: Login,
                                                            world: World) -> None:
    client = login("auditor")
    assert "审计链完整" in client.get("/audit/").get_data(as_text=True)
    with world.sessions() as session:
        victim = session.scalar(select(AuditEvent.id).where(AuditEvent.action == "task.completed").limit(1))
    as_database_owner(world, "UPDATE audit_event SET actor_name = '他人' WHERE id = :id", victim)
    page = client.get("/audit/").get_data(as_text=True)
    assert "审计链校验失败" in page and f'<strong id="first-bad">#{victim}</strong>' in page


def test_creating_a_checkpoint_is_for_the_cast_auditor(two_cases: tuple[int, int], login: Login) -> None:
    assert login("xh_auditor").post("/audit/checkpoints").status_code == 404
    client = login("auditor")
    assert client.post("/audit/checkpoints").status_code == 302
    document = json.loads(client.get("/audit/checkpoints/1.json").get_data(as_text=True))
    assert document["type"] == "baguan-audit-checkpoint" and len(document["signature"]) == 64


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def test_no_route_changes_or_removes_an_audit_event(app: Flask, two_cases: tuple[int, int], login: Login,
                                                    world: World) -> None:
    """Every route, with every method it accepts, called by the most privileged users: existing events stay
    exactly as they were (only appends happen) and the chain still verifies."""
    with world.sessions() as session:
        before = {e.id: (e.hash, e.prev_hash) for e in session.scalars(select(AuditEvent))}
    for username in ("admin", "auditor"):
        client = login(username)
        for rule in app.url_map.iter_rules():
            if rule.endpoint in ("static", "auth.logout"):
                continue
            url = rule.rule
            for argument in rule.arguments:
                url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "1")
            for method in sorted((rule.methods or set()) - {"OPTIONS"}):
                client.open(url, method=method, data={"id": "1", "hash": "0" * 64, "decision": "approve"})
    with world.sessions() as session:
        after = {e.id: (e.hash, e.prev_hash) for e in session.scalars(select(AuditEvent))}
        from engine import journal as audit
        assert audit.verify_chain(session).ok
        assert session.scalar(select(func.count()).select_from(AuditEvent)) >= len(before)
    assert {k: after.get(k) for k in before} == before
    mutating = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/audit")
                and (r.methods or set()) - SAFE_METHODS - {"POST"}]
    assert mutating == []


def test_the_case_page_names_the_rule_table_version_and_the_principal(two_cases: tuple[int, int], login: Login,
                                                                     world: World) -> None:
    """Events recorded by the process library (rule.decided) and by proxies (on_behalf_of_name) are shown."""
    from engine import journal as audit
    xh, _ = two_cases
    with world.sessions() as session, session.begin():
        audit.record(session, "rule.decided", org_id=world.org_ids["XH"], case_id=xh, step="tier",
                     table="expense_tier", table_version=2, inputs={"amount": 80000}, result={"tier": "president"})
        audit.record(session, "task.completed", actor=world.user(session, "xh_president"), org_id=world.org_ids["XH"],
                     case_id=xh, step="sg_review", step_name="秘书长审核", role="secretary_general",
                     decision="approve", comment="", changed={}, on_behalf_of_id=1, on_behalf_of_name="测试xh_sg")
    page = login("xh_auditor").get(f"/audit/cases/{xh}").get_data(as_text=True)
    assert "决策表 expense_tier 第 2 版" in page and "&#34;tier&#34;: &#34;president&#34;" in page
    assert "代 测试xh_sg" in page
    marks = json.loads(page.split('data-marks="')[1].split('"')[0].replace("&#34;", '"'))
    assert marks["tier"] == "done"


def test_search_pages_through_results(two_cases: tuple[int, int], login: Login, world: World) -> None:
    from engine import journal as audit
    with world.sessions() as session, session.begin():
        for i in range(60):
            audit.record(session, "test.filler", org_id=world.org_ids["XH"], n=i)
    client = login("xh_auditor")
    first = client.get("/audit/search?action=test.filler").get_data(as_text=True)
    second = client.get("/audit/search?action=test.filler&page=2").get_data(as_text=True)
    assert "第 1 / 2 页 · 共 60 条" in first and "第 2 / 2 页 · 共 60 条" in second
    assert first.count("<tr>") == 51 and second.count("<tr>") == 11
    assert "action=test.filler" in first.split("下一页")[0].rsplit("href=", 1)[1]

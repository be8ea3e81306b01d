"""The benchmark tooling on tiny inputs (no timing): the report's PASS/FAIL logic, the throughput verdicts, the
command lines, and one instance of the five-step benchmark diagram driven through the API as the load test does."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench import history, load
from bench.run import Verdict, format_summary, format_verdict, throughput_verdicts
from engine.cases import queries as queries
from engine.identity import accounts as identity
from engine.runtime import deploy as deployment
from webapp import create_app

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _point(db: str, workers: int, instances_per_s: float) -> load.LoadPoint:
    figures = {"count": instances_per_s * 20, "failures": 0, "per_s": instances_per_s, "p50_ms": 150.0, "p95_ms": 300.0}
    return load.LoadPoint(db, workers, 4, 20.0, {"instance": figures, "approve": {**figures, "p50_ms": 12.0}})


def test_a_verdict_passes_by_its_comparison_and_reports_the_ratio() -> None:
    assert Verdict("t", 2.5, "ms", 6.0, "≤").status == "PASS"
    assert Verdict("t", 6.0, "ms", 6.0, "≤").status == "PASS"
    assert Verdict("t", 20.0, "ms", 20.0, "<").status == "FAIL"
    assert Verdict("t", 19.0, "/s", 20.0, "≥").status == "FAIL"
    assert Verdict("t", 0.0, skipped="not on this branch").status == "SKIP"
    assert Verdict("t", 9.0, "×", 3.0).ratio == 3.0


def test_the_report_prints_figure_limit_ratio_status_and_a_summary() -> None:
    verdicts = [Verdict("(1) engine [sqlite]", 4.5, "×", 3.0, "≤", ("bare 1.00 ms",)),
                Verdict("(2) HTTP", skipped="bench/http_cost.py is not on this branch")]
    lines = format_verdict(verdicts[0])
    assert lines[0] == "FAIL  (1) engine [sqlite]: 4.50 ×  limit ≤ 3 ×  ratio 1.50"
    assert lines[1].strip() == "bare 1.00 ms"
    assert format_verdict(verdicts[1]) == ["SKIP  (2) HTTP: bench/http_cost.py is not on this branch"]
    assert format_summary(verdicts)[-1] == "  0 passed, 1 failed, 1 skipped"


def test_throughput_verdicts_cover_the_target_the_sqlite_comparison_and_the_curve() -> None:
    curve = [_point("postgresql", 1, 12.0), _point("postgresql", 2, 22.0), _point("postgresql", 4, 21.0)]
    points = {"postgresql": curve, "sqlite": [_point("sqlite", 2, 20.0)]}
    verdicts = {v.target: v for v in throughput_verdicts(points, 4)}
    assert verdicts["(3) completed instances/s [postgresql, 2 web workers, 4 clients]"].status == "PASS"
    assert verdicts["(3) PostgreSQL / SQLite instances/s [2 web workers]"].figure == 22.0 / 20.0
    assert verdicts["(3) PostgreSQL instances/s, 2 / 1 web workers"].status == "PASS"
    assert verdicts["(3) PostgreSQL instances/s, 4 / 2 web workers"].status == "FAIL"
    assert any("approve" in note and "p50" in note for note in
               verdicts["(3) completed instances/s [postgresql, 2 web workers, 4 clients]"].notes)
    assert [v.status for v in throughput_verdicts({"sqlite": [_point("sqlite", 2, 20.0)]}, 4)] == ["SKIP"]


def test_the_benchmark_command_lines_print_their_help() -> None:
    for module, option in (("bench.load", "--web-workers"), ("bench.run", "--quick"), ("bench.locustfile", "--plan")):
        result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=PROJECT_ROOT, capture_output=True,
                                text=True, check=True)
        assert option in result.stdout


def test_one_five_step_instance_returned_refiled_and_approved_through_the_api_as_the_load_clients_do(
        db_url: str, sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        deployment.deploy(session, *deployment.read_sources([load.DIAGRAMS]))
    plan = load.seed(db_url, load.LoadSettings(societies=1, backlog=3))
    society = plan["societies"][0]
    tokens = {**society["tokens"], **plan["supervisor_tokens"]}
    app = create_app({"DATABASE_URL": db_url, "BAGUAN_ENV": "testing", "SECRET_KEY": "test-secret-key-0123456789"},
                     environ={"BAGUAN_ENV": "testing"})
    client = app.test_client()

    def call(path: str, role: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        response = client.post(path, json=body, headers=headers) if body else client.get(path, headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        return response.get_json()

    case = call("/api/v1/cases", "staff", {"process": "five_step", "org": society["code"], "title": "基准",
                                           "data": {"subject": "场地", "amount": 1000, "reason": "年会"}})
    sg_review = next(t for t in case["tasks"] if t["status"] == "open")
    case = call(f"/api/v1/tasks/{sg_review['id']}/complete", "secretary_general",
                {"decision": "return", "comment": "请补充经费来源。"})
    draft = next(t for t in case["tasks"] if t["status"] == "open")
    case = call(f"/api/v1/tasks/{draft['id']}/complete", draft["role"], {
        "decision": "submit", "comment": "", "data": {"subject": "场地", "amount": 1000, "reason": "年会，会费列支"}})
    steps = []
    while case["status"] == "running":
        task = next(t for t in case["tasks"] if t["status"] == "open")
        steps.append(task["role"])
        case = call(f"/api/v1/tasks/{task['id']}/complete", task["role"], {"decision": "approve", "comment": "同意。"})
    assert steps == ["secretary_general", "finance", "party_secretary", "president", "cast_reviewer"]
    assert case["status"] == "completed"
    assert call("/api/v1/tasks?view=todo&limit=50", "cast_reviewer")["total"] == 3
    app.extensions["baguan_db"].engine.dispose()


def test_the_bulk_loaded_history_is_tallied_like_history_made_one_case_at_a_time(
        sessions: sessionmaker[Session]) -> None:
    """The history benchmark loads finished cases with triggers off; the numbers it then times must be right."""
    history.measure_history(sessions, 30, iterations=2)
    with sessions() as session:
        for username, done, started in (("b_cast", 30, 0), ("b_sg", 32, 0), ("b_staff", 2, 30 + 1000 + 2)):
            numbers = queries.tab_counts(session, identity.get_user(session, username))
            assert (username, numbers.done, numbers.started) == (username, done, started)

"""The expression sandbox (T-SBX-01/02) and proof that restored workflows never fall back to eval/exec."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

import forms as form_lib
from engine.cases import operations as cases
from engine.errors import BaguanError, ExpressionError, SandboxViolation
from engine.runtime import deploy as deployment
from engine.runtime import sandbox as scripting
from engine.runtime.models import Case, HumanTask, ProcessDefinition
from engine.runtime.sandbox import (
    SAFE_SCRIPT_ENGINE,
    SandboxEnvironment,
    check_expression,
    check_script,
    evaluate,
    execute,
)
from engine.runtime.specs import SourceFile

from ..conftest import World
from . import samples

DATA = {"amount": 50_000, "urgent": False, "items": [1, 2, 3], "category": "学术交流", "plan": {"year": 2027},
        "title": "年度计划"}


@pytest.mark.parametrize(("source", "expected"), [
    ("1 + 2 * 3 - 4 / 2", 5.0),
    ("amount > 10000 and not urgent", True),
    ("amount >= 100000 or urgent", False),
    ("len(items) == 3 and 2 in items and 9 not in items", True),
    ("'学术' in category", True),
    ("items[0] + items[-1]", 4),
    ("items[1:]", [2, 3]),
    ("plan['year'] == 2027", True),
    ("'大额' if amount > 10000 else '小额'", "大额"),
    ("min(amount, 1000) + max(items) + sum(items) + abs(-1)", 1010),
    ("round(2.345, 2)", 2.35),
    ("sorted([3, 1, 2]) == [1, 2, 3] and any(items) and all(items)", True),
    ("int('42') + float('0.5') + len(str(amount))", 47.5),
    ("2 ** 10", 1024),
    ("None is None and title != ''", True),
])
def test_allowed_expressions_evaluate(source: str, expected: Any) -> None:
    check_expression(source)
    assert evaluate(source, dict(DATA)) == expected


def test_scripts_assign_simple_variables() -> None:
    names: dict[str, Any] = dict(DATA)
    execute("total = amount + 1\ntotal += 9\nlabel = '大额' if total > 10000 else '小额'", names)
    assert (names["total"], names["label"]) == (50_010, "大额")


@pytest.mark.parametrize("source", [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "x.__class__",
    "__builtins__",
    "_private + 1",
    "items.append(1)",
    "category.upper()",
    "'{0.__class__}'.format(1)",
    "open('/etc/passwd')",
    "eval('1')",
    "exec('x = 1')",
    "getattr(items, 'append')",
    "globals()",
    "type(1)",
    "compile('1', 'x', 'eval')",
    "(lambda: 1)()",
    "lambda: 1",
    "[x for x in items]",
    "{x: 1 for x in items}",
    "{x for x in items}",
    "list(x for x in items)",
    "f'{amount}'",
    "(y := 1)",
    "len(*items)",
    "max(**plan)",
    "b'bytes'",
    "[*items]",
])
def test_refused_expressions_are_caught_before_running(source: str) -> None:
    with pytest.raises(SandboxViolation):
        check_expression(source)
    with pytest.raises(SandboxViolation):
        evaluate(source, dict(DATA))


@pytest.mark.parametrize("source", [
    "import os",
    "from os import path",
    "import subprocess\nx = subprocess.run(['id'])",
    "x = open('/etc/passwd').read()",
    "items.x = 1",
    "items[0] = 1",
    "del amount",
    "while True:\n    pass",
    "for x in items:\n    pass",
    "def f():\n    return 1",
    "class C:\n    pass",
    "with open('x') as f:\n    pass",
    "try:\n    x = 1\nexcept Exception:\n    pass",
    "global amount",
    "amount",
    "x = 1; __import__('os')",
    "raise SystemExit",
    "assert False",
])
def test_refused_scripts_are_caught_before_running(source: str) -> None:
    with pytest.raises(SandboxViolation):
        check_script(source)
    with pytest.raises(SandboxViolation):
        execute(source, dict(DATA))


@pytest.mark.parametrize("source", [
    "9**9**9",
    "'a'*10**9",
    "[0] * 10**9",
    "((((((2**64)**64)**64)**64)**64)**64) > 0",
    "len(str([[0] * 100000] * 100000))",
    "len(sum([[0]] * 50000, []))",
    "len('%999999999d' % 1)",
    "round(5, -10**9)",
    "(2**4000) * (2**4000)",
    "'ab' * 60000 + 'cd' * 60000",
])
def test_resource_bombs_are_refused_fast(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        evaluate(source, {})
    assert time.perf_counter() - started < 0.5


def test_a_script_cannot_grow_a_number_by_repeated_squaring() -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError):
        execute("a = 2**64\n" + "a = a * a\n" * 30, {})
    assert time.perf_counter() - started < 0.5


def test_oversized_and_overcomplex_sources_are_refused() -> None:
    with pytest.raises(SandboxViolation):
        check_expression("1 + " * 1000 + "1")
    with pytest.raises(SandboxViolation):
        check_expression("x == '" + "a" * 3000 + "'")


def test_unknown_names_and_type_errors_are_expression_errors() -> None:
    with pytest.raises(ExpressionError):
        evaluate("missing > 1", {})
    with pytest.raises(ExpressionError):
        evaluate("title > 1", dict(DATA))
    with pytest.raises(ExpressionError):
        evaluate("amount / 0", dict(DATA))


def test_case_data_cannot_shadow_functions_and_code_in_data_stays_text(tmp_path: Path) -> None:
    canary = tmp_path / "ran"
    hostile = {"len": "evil", "note": f"__import__('os').system('touch {canary}')", "items": [1]}
    assert evaluate("len(items)", hostile) == 1
    assert evaluate("note == 'x'", hostile) is False
    assert not canary.exists()


def test_spiff_engine_routes_everything_through_the_sandbox() -> None:
    assert isinstance(SAFE_SCRIPT_ENGINE.environment, SandboxEnvironment)
    context: dict[str, Any] = {"amount": 5}
    assert SAFE_SCRIPT_ENGINE.environment.evaluate("amount * 2", context) == 10
    with pytest.raises(SandboxViolation):
        SAFE_SCRIPT_ENGINE.environment.evaluate("__import__('os')", context)
    with pytest.raises(SandboxViolation):
        SAFE_SCRIPT_ENGINE.environment.execute("import os", context, {})
    with pytest.raises(SandboxViolation):
        SAFE_SCRIPT_ENGINE.environment.call_service(context, operation_name="anything")


# --- restored workflows (database) -------------------------------------------------------------------------

def _deploy_probe(world: World, condition: str) -> None:
    document = samples.gateway_after_review(condition).encode("utf-8")
    with world.sessions() as session, session.begin():
        deployment.deploy(session, [SourceFile("probe.bpmn", document)], [], form_lib.load_forms())


def _start_probe(world: World, plan_data: dict[str, Any]) -> int:
    with world.sessions() as session, session.begin():
        case = cases.start_case(session, world.user(session, "xh_staff"), "probe", world.org(session, "XH"),
                                "探针事项", plan_data)
        return case.id


def _open_steps(world: World, case_id: int) -> list[str]:
    with world.sessions() as session:
        return list(session.scalars(select(HumanTask.bpmn_id).where(HumanTask.case_id == case_id,
                                                                    HumanTask.status == "open")))


def _approve_review(world: World, case_id: int) -> Case:
    with world.sessions() as session, session.begin():
        [task_id] = session.scalars(select(HumanTask.id).where(HumanTask.case_id == case_id,
                                                               HumanTask.status == "open")).all()
        return cases.complete_task(session, world.user(session, "xh_sg"), task_id, "approve", "", {})


def test_restored_workflows_use_the_sandbox(world: World, plan_data: dict[str, Any]) -> None:
    _deploy_probe(world, "income_total > 1000")
    case_id = _start_probe(world, plan_data)
    with world.sessions() as session:
        workflow = cases.load_workflow(session.get(Case, case_id))
        assert workflow.script_engine is SAFE_SCRIPT_ENGINE
        assert all(task.workflow.script_engine is SAFE_SCRIPT_ENGINE for task in workflow.get_tasks())
        assert scripting.SAFE_SCRIPT_ENGINE.environment.__class__ is SandboxEnvironment
    _approve_review(world, case_id)
    assert _open_steps(world, case_id) == ["president"]


def test_code_injected_into_a_stored_definition_cannot_run(world: World, plan_data: dict[str, Any],
                                                           tmp_path: Path) -> None:
    """Someone with write access to the database swaps the stored condition for code before the process
    (re)loads it: the restored workflow evaluates it in the sandbox, which refuses it."""
    canary = tmp_path / "executed"
    condition = f"income_total > {1000 + uuid.uuid4().int % 10**9}"  # unique content: a fresh spec load
    _deploy_probe(world, condition)
    payload = f"__import__('os').system('touch {canary}') == 0"
    with world.sessions() as session, session.begin():
        definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "probe"))
        assert condition in definition.spec_json
        session.execute(update(ProcessDefinition).where(ProcessDefinition.id == definition.id)
                        .values(spec_json=definition.spec_json.replace(condition, payload)))
    case_id = _start_probe(world, plan_data)
    with pytest.raises(BaguanError):
        _approve_review(world, case_id)
    assert not canary.exists()
    assert _open_steps(world, case_id) == ["review"]


def test_code_injected_into_stored_case_data_cannot_run(world: World, plan_data: dict[str, Any],
                                                        tmp_path: Path) -> None:
    """Tampered serialized state puts code (and a fake __builtins__) into the data the condition reads."""
    canary = tmp_path / "executed"
    _deploy_probe(world, "income_total > 1000")
    case_id = _start_probe(world, plan_data)
    with world.sessions() as session, session.begin():
        case = session.get(Case, case_id)
        state = json.loads(case.state)
        hostile = {"income_total": f"__import__('os').system('touch {canary}')", "__builtins__": {"__import__": "os"}}
        for task in state["tasks"].values():
            task["data"].update(hostile)
            task.setdefault("delta", {}).setdefault("updates", {}).update(hostile)
        session.execute(update(Case).where(Case.id == case_id).values(state=json.dumps(state)))
    with pytest.raises(BaguanError):
        _approve_review(world, case_id)
    assert not canary.exists()
    assert _open_steps(world, case_id) == ["review"]

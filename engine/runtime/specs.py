"""Compiling and checking a bundle of BPMN, DMN and forms before anything is stored.

Every uploaded file is untrusted: bytes are parsed with the hardened parser, validated against the BPMN
schema, and every expression the engine would run is checked by the sandbox before a version exists.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

import forms as form_lib
from engine.errors import DeployRejected, SandboxViolation
from engine.roles import resolve_role
from engine.runtime.bpmn_checks import Problem, graph_problems, unsupported_elements
from engine.runtime.extensions import installed
from engine.runtime.name_limits import name_length_problems
from engine.runtime.sandbox import SAFE_SCRIPT_ENGINE, check_expression, check_script
from engine.runtime.xmlsafe import parse_untrusted_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
TASK_KINDS = ("draft", "review", "meeting", "report")


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class StepInfo:
    """What the diagram says about one human step (its BPMN user task)."""

    bpmn_id: str
    name: str
    role: str
    kind: str
    form_key: str | None
    due_days: int | None
    political: bool = False


def task_properties(task_spec: Any) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of a task spec (empty when it has none)."""
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))


@dataclass
class CompiledProcess:
    key: str
    name: str
    source: SourceFile
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    properties: dict[str, Any]
    user_tasks: list[StepInfo]
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256(self.source.content)
        digest.update(json.dumps(self.forms, sort_keys=True, ensure_ascii=False).encode())
        digest.update(json.dumps(self.properties, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()


def compile_bundle(bpmn: Iterable[SourceFile], dmn: Iterable[SourceFile],
                   forms: dict[str, dict[str, Any]]) -> list[CompiledProcess]:
    """Parse and check every file; return the executable processes or raise DeployRejected with all problems."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    trees: dict[str, tuple[SourceFile, etree._ElementTree]] = {}
    problems: list[Problem] = []
    for source in dmn:
        _guarded(problems, source.name, lambda s=source: parser.add_dmn_xml(parse_untrusted_xml(s.content, s.name).getroot(), s.name))
    for source in bpmn:
        tree = _guarded(problems, source.name, lambda s=source: parse_untrusted_xml(s.content, s.name))
        if tree is not False and _guarded(problems, source.name, lambda t=tree, s=source: parser.add_bpmn_xml(t, s.name)) is not False:
            trees[source.name] = (source, tree)
    _raise_if(problems)
    processes = [_compile_process(parser, pid, trees, forms, problems) for pid in parser.get_process_ids()]
    _raise_if(problems)
    if not processes:
        raise DeployRejected("部署被拒绝", ["没有找到可执行的流程（isExecutable=\"true\"）"])
    return [p for p in processes if p is not None]


def _raise_if(problems: list[Problem]) -> None:
    """Refuse with the problems as text (for the CLI and logs) and as (element, message) pairs (for the studio)."""
    if problems:
        raise DeployRejected("部署被拒绝", [str(p) for p in problems], [p.as_dict() for p in problems])


def _guarded(problems: list[Problem], name: str, action: Any) -> Any:
    try:
        result = action()
        return True if result is None else result
    except DeployRejected as exc:
        problems.extend(Problem(text) for text in exc.problems)
    except ValidationException as exc:
        problems.append(Problem(_validation_message(exc), getattr(exc, "id", None) or None, where=name))
    except (SpiffWorkflowException, etree.LxmlError, RecursionError, ValueError, KeyError, AttributeError) as exc:
        problems.append(Problem(f"无法解析：{exc}", where=name))
    return False


def _validation_message(exc: ValidationException) -> str:
    where = f"（元素 {exc.id}）" if getattr(exc, "id", None) else ""
    line = f"（第 {exc.line_number} 行）" if getattr(exc, "line_number", None) else ""
    return f"BPMN 校验失败：{exc.message if hasattr(exc, 'message') else exc}{where}{line}"


def _compile_process(parser: SpiffBpmnParser, process_id: str, trees: dict[str, tuple[SourceFile, Any]],
                     forms: dict[str, dict[str, Any]], problems: list[Problem]) -> CompiledProcess | None:
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except (ValidationException, SpiffWorkflowException, KeyError, AttributeError) as exc:
        problems.append(Problem(str(exc), process_id, where=f"流程 {process_id}"))
        return None
    source, tree = trees[spec.file] if spec.file in trees else next(iter(trees.values()))
    all_specs = [spec, *subprocess_specs.values()]
    before = len(problems)
    problems.extend(unsupported_elements(tree, process_id))
    problems.extend(name_length_problems(tree, process_id))
    for each in all_specs:
        problems.extend(check_task_specs(each))
    user_tasks = [info for each in all_specs for info in _user_tasks(each, problems)]
    used_forms = _collect_forms(process_id, user_tasks, forms, problems)
    library_properties: dict[str, Any] = {}
    for checks in installed().step_properties:
        library_properties.update(checks([t for each in all_specs for t in each.task_specs.values()], problems))
    if len(problems) == before:
        problems.extend(_instantiation_problems(process_id, spec, subprocess_specs))
    problems.extend(graph_problems(tree, process_id))
    if len(problems) > before:
        return None
    return CompiledProcess(key=process_id, name=spec.description or process_id, source=source, spec=spec,
                           subprocess_specs=subprocess_specs,
                           properties={**_process_properties(tree, process_id), **library_properties},
                           user_tasks=user_tasks, forms=used_forms)


def _instantiation_problems(process_id: str, spec: BpmnProcessSpec,
                            subprocess_specs: dict[str, BpmnProcessSpec]) -> list[Problem]:
    """Creating an instance predicts the whole task tree; a cycle without a gateway makes SpiffWorkflow
    recurse without end, so create one now (nothing runs) instead of failing when a case is filed."""
    try:
        BpmnWorkflow(spec, subprocess_specs, script_engine=SAFE_SCRIPT_ENGINE)
    except RecursionError:
        return [Problem("流程图中有不经过网关的循环，无法创建实例", process_id, where=f"流程 {process_id}")]
    except SpiffWorkflowException as exc:
        return [Problem(f"无法创建实例：{exc}", process_id, where=f"流程 {process_id}")]
    return []


def check_task_specs(spec: BpmnProcessSpec) -> list[Problem]:
    """Every expression and script of a process, checked by the sandbox without running it."""
    problems: list[Problem] = []
    for task_spec in spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None) or task_spec.name
        if isinstance(task_spec, ServiceTask):
            problems.append(Problem("不支持服务任务（serviceTask）", element))
        for label, source, checker in _code_points(task_spec):
            try:
                checker(source)
            except SandboxViolation as exc:
                problems.append(Problem(f"{label}不安全或无法编译：{exc.message}（{source[:80]}）", element))
    return problems


def _code_points(task_spec: Any) -> Iterable[tuple[str, str, Any]]:
    for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
        if condition is not None:
            yield "条件表达式", _condition_text(condition), check_expression
    if getattr(task_spec, "script", None):
        yield "脚本", task_spec.script, check_script
    for attr, label in (("prescript", "前置脚本"), ("postscript", "后置脚本")):
        if getattr(task_spec, attr, None):
            yield label, getattr(task_spec, attr), check_script
    for attr, label in (("cardinality", "多实例数量表达式"), ("condition", "完成条件")):
        if isinstance(getattr(task_spec, attr, None), str):
            yield label, getattr(task_spec, attr), check_expression
    event = getattr(task_spec, "event_definition", None)
    if event is not None and isinstance(getattr(event, "expression", None), str):
        yield "事件表达式", event.expression, check_expression
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None:
        yield from _dmn_code_points(engine.decision_table)


def _condition_text(condition: Any) -> Any:
    """Gateway conditions are stored wrapped in an operator object whose only argument is the text."""
    args = getattr(condition, "args", None)
    return args[0] if args else condition


def _dmn_code_points(table: Any) -> Iterable[tuple[str, str, Any]]:
    for inp in table.inputs:
        if inp.expression:
            yield f"决策表 {table.id} 的输入", inp.expression, check_expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in entry.lhs:
                if text and text.strip() not in ("", "-"):
                    yield f"决策表 {table.id} 规则 {rule.row_number} 的条件", _dmn_match_as_expression(text), check_expression
        for entry in rule.outputEntries:
            if entry.text:
                yield f"决策表 {table.id} 规则 {rule.row_number} 的输出", entry.text, check_expression


def _dmn_match_as_expression(text: str) -> str:
    text = text.replace("?", "dmninputexpr")
    stripped = text.lstrip()
    if stripped[:2] in ("<=", ">=", "==", "!=") or stripped[:1] in ("<", ">") or stripped.startswith(("in ", "not ")):
        return f"dmninputexpr {stripped}"
    return text


def _user_tasks(spec: BpmnProcessSpec, problems: list[Problem]) -> list[StepInfo]:
    tasks = []
    for task_spec in spec.task_specs.values():
        if not getattr(task_spec, "manual", False):
            continue
        info = _user_task_info(task_spec, problems)
        if info is not None:
            tasks.append(info)
    return tasks


def _user_task_info(task_spec: Any, problems: list[Problem]) -> StepInfo | None:
    element = task_spec.bpmn_id
    props = task_properties(task_spec)
    role = resolve_role(task_spec.lane)
    kind = props.get("kind", "review")
    if role is None:
        problems.append(Problem(f"人工任务必须位于一个角色泳道中（当前泳道：{task_spec.lane or '无'}）", element))
    if kind not in TASK_KINDS:
        problems.append(Problem(f"任务类型 kind={kind!r} 无效，应为 draft、review、meeting 或 report", element))
    due = props.get("dueDays")
    if due is not None and not str(due).isdigit():
        problems.append(Problem("办理期限 dueDays 必须是整数（工作日）", element))
    if role is None or kind not in TASK_KINDS:
        return None
    return StepInfo(element, task_spec.bpmn_name or element, role.code, kind, props.get("formKey"),
                        int(due) if due is not None and str(due).isdigit() else None,
                        str(props.get("political", "")).lower() == "true")


def _collect_forms(process_id: str, user_tasks: list[StepInfo], forms: dict[str, dict[str, Any]],
                   problems: list[Problem]) -> dict[str, dict[str, Any]]:
    used: dict[str, dict[str, Any]] = {}
    for task in user_tasks:
        if task.form_key is None:
            continue
        schema = forms.get(task.form_key)
        if schema is None:
            problems.append(Problem(f"表单 {task.form_key} 不存在", task.bpmn_id))
            continue
        try:
            form_lib.check_form_schema(task.form_key, schema)
        except form_lib.FormError as exc:
            problems.append(Problem(str(exc), task.bpmn_id))
            continue
        used[task.form_key] = schema
    if sum(1 for t in user_tasks if t.kind == "draft") > 1:
        problems.append(Problem("最多只能有一个起草（draft）任务", process_id, where=f"流程 {process_id}"))
    return used


def _process_properties(tree: Any, process_id: str) -> dict[str, Any]:
    """Process-level ``spiffworkflow:property`` entries (e.g. caseCode for case numbers)."""
    ns = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}
    nodes = tree.getroot().xpath(
        "//bpmn:process[@id=$pid]/bpmn:extensionElements/spiff:properties/spiff:property", namespaces=ns, pid=process_id)
    return {n.get("name"): n.get("value") for n in nodes if n.get("name")}

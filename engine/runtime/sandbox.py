"""The expression sandbox: a small, pure language for BPMN conditions, timers, DMN cells and scripts.

Expressions are parsed with ``ast`` and interpreted node by node; nothing is ever passed to ``eval`` or
``exec``. Only literals, names from the case data, arithmetic, comparisons, boolean logic, indexing and a
fixed set of pure functions are allowed. Attributes, dunders, imports, comprehensions and lambdas are
refused, so the same checker can reject a diagram at deploy time before anything runs. The language has no
loops, so no loop can be refused statically; a loop drawn in the diagram is bounded at run time.

Every value an expression builds (a literal, a ``str()`` or ``sorted()`` result, an arithmetic result) is
limited in size, and every step counts against the budget of the engine run (engine/runtime/budget.py).
"""
from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import (
    BasePythonScriptEngineEnvironment,
)
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.errors import ExpressionError, SandboxViolation
from engine.runtime import budget as run_budget

MAX_SOURCE_CHARS = 2000
MAX_NODES = 400
MAX_SEQUENCE = 100_000
MAX_POWER_EXPONENT = 64
MAX_INT_BITS = 4096
MAX_ROUND_DIGITS = 20
SMALL_INT_BITS = 64
SIZED_RESULTS = ("str", "sorted", "list")


def _sum_numbers(values: Any, start: Any = 0) -> Any:
    if not isinstance(start, (int, float)):
        raise ExpressionError("sum 只能对数字求和")
    return sum(values, start)


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is not None and (not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS):
        raise ExpressionError(f"round 的小数位数必须是不超过 {MAX_ROUND_DIGITS} 的整数")
    return round(number, ndigits)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": len, "min": min, "max": max, "sum": _sum_numbers, "abs": abs, "round": _round,
    "int": int, "float": float, "str": str, "bool": bool, "any": any, "all": all,
    "sorted": sorted, "list": list,
}

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY = {ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not,
}
_ALLOWED_NODES = (
    ast.Expression, ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.BoolOp, ast.And, ast.Or,
    ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    *_BINARY, *_UNARY, *_COMPARE,
)


def _parse(source: str, mode: str) -> ast.AST:
    if not isinstance(source, str):
        raise SandboxViolation("表达式必须是文本")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxViolation(f"表达式过长（超过 {MAX_SOURCE_CHARS} 个字符）")
    try:
        tree = ast.parse(source.strip(), mode=mode)
    except SyntaxError as exc:
        raise SandboxViolation(f"表达式语法错误：{exc.msg}（第 {exc.lineno} 行）") from None
    _check_tree(tree)
    return tree


def _check_tree(tree: ast.AST) -> None:
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise SandboxViolation("表达式过于复杂")
    for node in nodes:
        _check_node(node)


def _check_node(node: ast.AST) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise SandboxViolation(f"不允许使用的语法：{type(node).__name__}")
    if isinstance(node, ast.Name) and node.id.startswith("_"):
        raise SandboxViolation(f"不允许使用以下划线开头的名称：{node.id}")
    if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
        raise SandboxViolation("只允许调用内置的纯函数：" + "、".join(sorted(FUNCTIONS)))
    if isinstance(node, ast.Call) and any(k.arg is None for k in node.keywords):
        raise SandboxViolation("不允许使用 ** 展开参数")
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if not all(isinstance(t, ast.Name) for t in targets):
            raise SandboxViolation("脚本只能给简单变量赋值")
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and len(node.value) > 10_000:
        raise SandboxViolation("字符串常量过长")
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        raise SandboxViolation("不允许使用字节串")


def check_expression(source: str) -> None:
    """Raise SandboxViolation unless ``source`` is an allowed expression."""
    _parse(source, "eval")


def check_script(source: str) -> None:
    """Raise SandboxViolation unless ``source`` is a sequence of allowed assignments."""
    tree = _parse(source, "exec")
    for stmt in tree.body:  # type: ignore[attr-defined]
        if not isinstance(stmt, (ast.Assign, ast.AugAssign)):
            raise SandboxViolation("脚本只能包含赋值语句")


class _Interpreter:
    def __init__(self, names: dict[str, Any]) -> None:
        self.names = names

    def run(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise SandboxViolation(f"不允许使用的语法：{type(node).__name__}")
        budget = run_budget.current()
        if budget is not None:
            budget.step()
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.run(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return _real(node.value)

    def _Name(self, node: ast.Name) -> Any:
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        if node.id not in self.names:
            raise ExpressionError(f"未定义的变量：{node.id}")
        return self.names[node.id]

    def _List(self, node: ast.List) -> list[Any]:
        return _limited([self.run(e) for e in node.elts])

    def _Tuple(self, node: ast.Tuple) -> tuple[Any, ...]:
        return _limited(tuple(self.run(e) for e in node.elts))

    def _Set(self, node: ast.Set) -> set[Any]:
        return _limited({self.run(e) for e in node.elts})

    def _Dict(self, node: ast.Dict) -> dict[Any, Any]:
        if any(k is None for k in node.keys):
            raise SandboxViolation("不允许使用 ** 展开字典")
        return _limited({self.run(k): self.run(v) for k, v in zip(node.keys, node.values)})  # type: ignore[arg-type]

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value: Any = None
        for operand in node.values:
            value = self.run(operand)
            if isinstance(node.op, ast.And) and not value:
                return value
            if isinstance(node.op, ast.Or) and value:
                return value
        return value

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        try:
            return _real(_UNARY[type(node.op)](self.run(node.operand)))
        except TypeError as exc:
            raise ExpressionError(f"计算出错：{exc}") from None

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.run(node.left), self.run(node.right)
        _guard_binary(node.op, left, right)
        try:
            return _real(_BINARY[type(node.op)](left, right))
        except (TypeError, ZeroDivisionError, OverflowError) as exc:
            raise ExpressionError(f"计算出错：{exc}") from None

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.run(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.run(comparator)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError as exc:
                raise ExpressionError(f"无法比较：{exc}") from None
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.run(node.body) if self.run(node.test) else self.run(node.orelse)

    def _Subscript(self, node: ast.Subscript) -> Any:
        container = self.run(node.value)
        if not isinstance(container, (list, tuple, dict, str)):
            raise ExpressionError("只能对列表、字典或文本取下标")
        try:
            return container[self.run(node.slice)]
        except (KeyError, IndexError, TypeError) as exc:
            raise ExpressionError(f"下标无效：{exc}") from None

    def _Slice(self, node: ast.Slice) -> slice:
        part = lambda n: None if n is None else self.run(n)  # noqa: E731
        return slice(part(node.lower), part(node.upper), part(node.step))

    def _Call(self, node: ast.Call) -> Any:
        func = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
        args = [self.run(a) for a in node.args]
        kwargs = {k.arg: self.run(k.value) for k in node.keywords}
        name = node.func.id  # type: ignore[attr-defined]
        if name in SIZED_RESULTS and _size([args, kwargs]) > MAX_SEQUENCE:
            _too_big(f"{name}() 的结果过长")
        try:
            result = _real(func(*args, **kwargs))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ExpressionError(f"函数调用出错：{exc}") from None
        return _limited(result, f"{name}() 的结果过长") if name in SIZED_RESULTS else result


_SEQUENCES = (str, list, tuple, dict, set)


def _real(value: Any) -> Any:
    """Case data holds finite real numbers only: a complex, infinite or NaN result cannot be stored or compared."""
    if isinstance(value, complex) or (isinstance(value, float) and not math.isfinite(value)):
        raise ExpressionError("计算结果不是有限的实数（数值溢出或无效）")
    return value


def _guard_binary(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse, before computing it, any result too large to be a real form value (memory and CPU bombs)."""
    if isinstance(op, ast.Pow) and isinstance(right, (int, float)) and abs(right) > MAX_POWER_EXPONENT:
        raise ExpressionError("乘方的指数过大")
    if isinstance(op, ast.Pow) and _both_ints(left, right) and left.bit_length() * max(right, 0) > MAX_INT_BITS:
        raise ExpressionError("数值过大")
    if isinstance(op, ast.Mult) and _both_ints(left, right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise ExpressionError("数值过大")
    if isinstance(op, ast.Mult) and (isinstance(left, _SEQUENCES) or isinstance(right, _SEQUENCES)):
        seq, times = (left, right) if isinstance(left, _SEQUENCES) else (right, left)
        if isinstance(times, int) and _size(seq) * times > MAX_SEQUENCE:
            _too_big("结果过长")
    if isinstance(op, ast.Add) and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        if _size(left) + _size(right) > MAX_SEQUENCE:
            _too_big("结果过长")
    if isinstance(op, ast.Mod) and isinstance(left, str):
        raise ExpressionError("不允许用 % 格式化文本")


def _both_ints(left: Any, right: Any) -> bool:
    return isinstance(left, int) and isinstance(right, int)


def _limited(value: Any, message: str = "列表、字典或集合过大") -> Any:
    """A value built by an expression (a literal, a function's result) may not exceed MAX_SEQUENCE."""
    if _size(value) > MAX_SEQUENCE:
        _too_big(message)
    return value


def _too_big(message: str) -> None:
    """Refuse an oversized value: inside an engine run the whole run is refused, naming the element."""
    budget = run_budget.current()
    if budget is not None and not budget.standalone:
        budget.refuse(f"{message}（单个值不得超过 {MAX_SEQUENCE} 个字符或元素）")
    raise ExpressionError(message)


def _size(value: Any, cap: int = MAX_SEQUENCE) -> int:
    """Characters plus elements (and the digits of big numbers), nested ones included, shared ones counted each
    time they appear (as in their text); stops counting once past ``cap``."""
    total, pending = 0, [value]
    while pending and total <= cap:
        item = pending.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, int) and item.bit_length() > SMALL_INT_BITS:
            total += item.bit_length() // 3
        elif isinstance(item, dict):
            total += len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            total += len(item)
            pending.extend(item)
    return total


def evaluate(source: str, names: dict[str, Any]) -> Any:
    """Evaluate an expression against ``names`` (the case data) inside the sandbox."""
    tree = _parse(source, "eval")
    with run_budget.expression_budget():
        return _Interpreter(names).run(tree)


def execute(source: str, names: dict[str, Any]) -> None:
    """Run a script of assignments, writing results into ``names``."""
    tree = _parse(source, "exec")
    with run_budget.expression_budget():
        _execute(tree, names)


def _execute(tree: ast.AST, names: dict[str, Any]) -> None:
    interpreter = _Interpreter(names)
    for stmt in tree.body:  # type: ignore[attr-defined]
        if isinstance(stmt, ast.Assign):
            value = interpreter.run(stmt.value)
            for target in stmt.targets:
                names[target.id] = value  # type: ignore[attr-defined]
        elif isinstance(stmt, ast.AugAssign):
            combined = ast.BinOp(left=ast.Name(stmt.target.id, ast.Load()), op=stmt.op, right=stmt.value)  # type: ignore[attr-defined]
            names[stmt.target.id] = interpreter.run(combined)  # type: ignore[attr-defined]
        else:
            raise SandboxViolation("脚本只能包含赋值语句")


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow environment that routes every expression and script through the sandbox."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        names = dict(context)
        names.update(external_context or {})
        _charge_data(names)
        return evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        names = dict(context)
        names.update(external_context or {})
        _charge_data(names)
        execute(script, names)
        _check_case_data(names)
        for key, value in names.items():
            if external_context is None or key not in external_context:
                context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise SandboxViolation("服务任务未启用")


def _charge_data(names: dict[str, Any]) -> None:
    """Each expression of a run sees the whole case data: its size counts against the run's data budget."""
    budget = run_budget.current()
    if budget is not None:
        budget.handle_data(_size(names, cap=budget.data_room()))


def _check_case_data(names: dict[str, Any]) -> None:
    """After a script, the case data as a whole may not exceed ``MAX_CASE_DATA``."""
    budget = run_budget.current()
    if budget is not None and _size(names, cap=run_budget.MAX_CASE_DATA) > run_budget.MAX_CASE_DATA:
        budget.refuse(f"脚本运行后事项数据总量超过 {run_budget.MAX_CASE_DATA} 个字符或元素")


class SandboxScriptEngine(PythonScriptEngine):
    """Names the BPMN element whose expression runs, and lets a refused run's budget error through unwrapped."""

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        with run_budget.running_element(_element(task)):
            try:
                return super().evaluate(task, expression, external_context)
            except SpiffWorkflowException:
                _raise_if_over_budget()
                raise

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        with run_budget.running_element(_element(task)):
            try:
                return super().execute(task, script, external_context)
            except SpiffWorkflowException:
                _raise_if_over_budget()
                raise


def _element(task: Any) -> str | None:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


def _raise_if_over_budget() -> None:
    budget = run_budget.current()
    if budget is not None and budget.exceeded is not None:
        raise budget.exceeded from None


def make_script_engine() -> PythonScriptEngine:
    return SandboxScriptEngine(environment=SandboxEnvironment())


SAFE_SCRIPT_ENGINE = make_script_engine()

"""Turning a failure inside a workflow step into a domain error that says what to do, never how the diagram
is written: the expression text, variable names and SpiffWorkflow's trace go to the log only."""
from __future__ import annotations

import logging

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.errors import BaguanError, ExpressionError, InvalidData, SandboxViolation

log = logging.getLogger(__name__)

EXPRESSION_FAILURE = "流程运行出错：流程条件无法计算（数值超出范围、结果无效或缺少数据），请检查填写的数据后重试"
ENGINE_FAILURE = "流程运行出错：流程无法继续执行，请联系管理员检查流程定义"
_EXPRESSION_CAUSES = (ExpressionError, SandboxViolation, ArithmeticError, ValueError, TypeError, KeyError,
                      NameError, IndexError)


def _causes(error: BaseException) -> list[BaseException]:
    found, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def step_failure(error: BaseException) -> BaguanError:
    """The error to raise for ``error`` caught around ``do_engine_steps`` or ``task.run``."""
    log.warning("workflow step failed: %s", error)
    causes = _causes(error)
    if any(isinstance(cause, _EXPRESSION_CAUSES) for cause in causes) or any(
            isinstance(cause, WorkflowTaskException) for cause in causes):
        return InvalidData(EXPRESSION_FAILURE)
    return BaguanError(ENGINE_FAILURE)

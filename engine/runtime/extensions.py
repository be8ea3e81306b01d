"""The runtime's extension points, filled once at engine start-up (``engine.bootstrap.start``).

The runtime knows nothing of the domain packages: the process library, the reviewer operations and the
notification centre plug in here, explicitly and in a known order, instead of by import-time side effects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy.orm import Session

from engine.errors import BaguanError
from engine.identity.models import User
from engine.runtime.models import Case, HumanTask

StepProperties = Callable[[Iterable[Any], list[Any]], dict[str, Any]]
"""Deploy time: checks the task specs of a process (appending problems) and returns properties stored with it."""
SourcesHook = Callable[[Session, list[Any], list[Any]], tuple[list[Any], list[Any]]]
"""Deploy time, before compiling: returns the BPMN and DMN sources to compile (e.g. with dependents added)."""
CompiledHook = Callable[[Session, list[Any], list[Any], "User | None"], None]
"""Deploy time, after compiling: stores what the compiled processes carry besides the process (e.g. tables)."""
TasksOpened = Callable[[Session, Case, BpmnWorkflow, list[HumanTask], dict[str, Task]], None]
"""After the projection added rows for newly READY human tasks (rows, and the READY tasks by id)."""
Authority = Callable[[Session, HumanTask, User, str], None]
"""Before anyone decides a step: raises when ``user`` may not take ``decision`` on the open task."""
Interceptor = Callable[[Session, HumanTask, User, str, str, dict[str, Any]], bool]
"""On a validated decision before the workflow moves: may refuse it (raise) or take it over (return True:
the step stays open and the workflow is not run), e.g. 委派 and 加签."""


@dataclass
class Extensions:
    step_properties: list[StepProperties] = field(default_factory=list)
    before_compile: list[SourcesHook] = field(default_factory=list)
    after_compile: list[CompiledHook] = field(default_factory=list)
    tasks_opened: list[TasksOpened] = field(default_factory=list)
    authorities: list[Authority] = field(default_factory=list)
    interceptors: list[Interceptor] = field(default_factory=list)


_registry: dict[str, Extensions] = {}


def install(extensions: Extensions) -> None:
    """Make ``extensions`` the ones every workflow cycle uses (engine start-up)."""
    _registry["current"] = extensions


def installed() -> Extensions:
    try:
        return _registry["current"]
    except KeyError:
        raise BaguanError("引擎尚未启动：请先调用 engine.bootstrap.start()") from None

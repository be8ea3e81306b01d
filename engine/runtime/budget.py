"""The budget of one engine run (issue 11.3): the sandbox limits each expression, and this limits a whole run.

An engine run (starting a case, completing a step, a timer's step ending by itself) may spend at most
``MAX_STEPS`` interpreter steps, ``MAX_SECONDS`` of wall time and ``MAX_DATA_VOLUME`` units of case data handed
to its expressions and scripts (each one sees the whole case data, so a loop that grows the data pays for every
copy), a script may not leave more than ``MAX_CASE_DATA`` units of case data, and the stored state of the case may not exceed ``MAX_STATE_CHARS`` once serialized. A run that goes over
is refused with :class:`RunBudgetExceeded`, which names the BPMN element that was running; nothing is saved.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Iterator

from engine.errors import InvalidData

MAX_STEPS = 200_000
MAX_SECONDS = 8.0
MAX_DATA_VOLUME = 5_000_000
MAX_CASE_DATA = 2_000_000
MAX_STATE_CHARS = 8_000_000
CLOCK_EVERY = 1024


class RunBudgetExceeded(InvalidData):
    """An engine run went over its budget: the case is refused, nothing is saved."""

    code = "run_budget_exceeded"


@dataclass
class Budget:
    max_steps: int = MAX_STEPS
    max_seconds: float = MAX_SECONDS
    max_data_volume: int = MAX_DATA_VOLUME
    started: float = field(default_factory=time.monotonic)
    steps: int = 0
    data_volume: int = 0
    element: str | None = None
    standalone: bool = False
    exceeded: RunBudgetExceeded | None = None

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.max_steps:
            self.refuse(f"计算步数超过 {self.max_steps} 步（可能是死循环）")
        if self.steps % CLOCK_EVERY < count:
            self.check_clock()

    def check_clock(self) -> None:
        if time.monotonic() - self.started > self.max_seconds:
            self.refuse(f"运行时间超过 {self.max_seconds:g} 秒（可能是死循环）")

    def handle_data(self, volume: int) -> None:
        self.data_volume += volume
        if self.data_volume > self.max_data_volume:
            self.refuse(f"处理的数据总量超过 {self.max_data_volume} 个单位（可能是循环中不断扩大数据）")
        self.check_clock()

    def data_room(self) -> int:
        return max(self.max_data_volume - self.data_volume, 0)

    def refuse(self, reason: str) -> None:
        if self.exceeded is None:
            where = f"元素 {self.element}：" if self.element else ""
            self.exceeded = RunBudgetExceeded(f"{where}流程运行超出资源限制：{reason}，事项未保存",
                                              {"element": self.element or ""} if self.element else None)
        raise self.exceeded


_CURRENT: ContextVar[Budget | None] = ContextVar("baguan_run_budget", default=None)


def current() -> Budget | None:
    return _CURRENT.get()


@contextmanager
def run_budget(budget: Budget | None = None) -> Iterator[Budget]:
    """The budget of the engine run in progress; a nested call shares the outer run's budget."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    active = budget or Budget()
    token = _CURRENT.set(active)
    try:
        yield active
    finally:
        _CURRENT.reset(token)


@contextmanager
def expression_budget() -> Iterator[Budget]:
    """The run's budget, or a fresh one for an expression evaluated on its own (a DMN cell, a step rule)."""
    with run_budget(Budget(standalone=True)) as budget:
        yield budget


@contextmanager
def running_element(element: str | None) -> Iterator[None]:
    """Name the BPMN element whose expression or script runs now, for the message of a refused run."""
    budget = _CURRENT.get()
    if budget is None:
        yield
        return
    previous, budget.element = budget.element, element
    try:
        yield
    finally:
        budget.element = previous


def check_state_size(state: str) -> None:
    """The serialized state of a case (its data in every step included) must stay below ``MAX_STATE_CHARS``."""
    if len(state) > MAX_STATE_CHARS:
        budget = _CURRENT.get()
        where = f"元素 {budget.element}：" if budget and budget.element else ""
        raise RunBudgetExceeded(f"{where}流程运行超出资源限制：事项数据序列化后超过 {MAX_STATE_CHARS // 1_000_000} MB，"
                                "事项未保存")

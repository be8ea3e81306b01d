"""Reviewer operations around a step: 转办, 委派, 加签/减签, 退回 choices, 撤回/撤销, 抄送, 催办, 代理人,
批量审批 and 常用语. They move who holds a step; the workflow moves only through ``cases.operations``."""

__all__ = ["batch", "case_ops", "models", "phrases", "pickers", "proxies", "separation", "task_ops"]

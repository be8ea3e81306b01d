"""The Chinese display helpers: Beijing local time, waiting time, labels (no database)."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from webapp import templating

NOW = datetime(2026, 11, 26, 6, 3)


def test_stored_utc_is_shown_in_beijing_time() -> None:
    assert templating.local_time(NOW) == "2026-11-26 14:03"
    assert templating.local_time(datetime(2026, 12, 31, 16, 30)) == "2027-01-01 00:30"
    assert templating.local_date(datetime(2026, 12, 31, 16, 30)) == "2027-01-01"
    assert templating.local_time(None) == "—"


@pytest.mark.parametrize("elapsed,text", [
    (timedelta(seconds=20), "不到 1 分钟"), (timedelta(minutes=8), "8 分钟"), (timedelta(hours=5), "5 小时"),
    (timedelta(hours=5, minutes=12), "5 小时 12 分钟"), (timedelta(days=2, hours=3, minutes=59), "2 天 3 小时"),
    (timedelta(days=3), "3 天"), (timedelta(minutes=-5), "不到 1 分钟"),
])
def test_waiting_time_reads_in_chinese(elapsed: timedelta, text: str) -> None:
    assert templating.duration(NOW - elapsed, NOW) == text


def test_overdue_only_after_the_due_time() -> None:
    assert templating.is_overdue(NOW - timedelta(minutes=1), NOW)
    assert not templating.is_overdue(NOW + timedelta(minutes=1), NOW)
    assert not templating.is_overdue(None, NOW)


def case(status: str, **properties: Any) -> Any:
    return SimpleNamespace(status=status, definition=SimpleNamespace(properties=properties))


def test_status_labels_use_the_process_completed_label() -> None:
    assert templating.status_label(case("running")) == "审批中"
    assert templating.status_label(case("completed", completedLabel="已备案")) == "已备案"
    assert templating.status_label(case("completed")) == "已办结"
    assert templating.status_label(case("rejected")) == "已驳回"
    assert templating.status_label(case("withdrawn")) == "已撤销", "撤销 ends the case; 撤回 only takes it back"


def test_decision_and_audit_labels() -> None:
    assert [templating.decision_label(d) for d in ("approve", "return", "reject", "submit")] == \
        ["同意", "退回修改", "不同意", "提交"]
    assert templating.audit_label("case.started") == "发起"
    assert templating.audit_label("task.completed", {"decision": "return"}) == "退回修改"
    assert templating.audit_label("case.completed") == "办结"

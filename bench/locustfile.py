"""Locust clients that drive the five-step approval diagram through the JSON API with bearer tokens.

Each client works for one society (clients are spread round-robin over the seeded societies) and loops over one
instance at a time: its 经办人 files a case, the holder of each open step approves it until the 市科协学会部 files
it, and the instance counts as completed. Before the last step the 科协 reviewer opens the first page of their
待办 (with the exact total) and the case page, as a person would. Every ``return_every``-th instance of a client
is 退回修改 at the first step and refiled by its 经办人.

Run by ``python -m bench.load`` (library mode, one process of its own so gevent patches nothing else); it can
also run on its own with ``locust -f bench/locustfile.py`` when ``BAGUAN_LOAD_PLAN`` names a plan file.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from locust.stats import StatsEntry

FORM = {"subject": "基准测试事项", "amount": 12000, "reason": "学术年会场地费。"}
_next_client = itertools.count()


def load_plan(path: str) -> dict[str, Any]:
    plan: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return plan


class ApprovalClient(FastHttpUser):
    """One client: files and approves instances of ``five_step`` in its society, one after another."""

    wait_time = constant(0)
    plan: dict[str, Any] = {}

    def on_start(self) -> None:
        plan = self.plan or load_plan(os.environ["BAGUAN_LOAD_PLAN"])
        number = next(_next_client)
        self.society = plan["societies"][number % len(plan["societies"])]
        self.tokens: dict[str, str] = {**self.society["tokens"], **plan["supervisor_tokens"]}
        self.return_every = int(plan.get("return_every", 0))
        self.filed = 0

    def _headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def _json(self, method: str, path: str, role: str, name: str, body: dict[str, Any] | None = None) -> Any:
        """The response body of one call, or None when the call failed (Locust records the failure)."""
        with self.client.request(method, path, json=body, headers=self._headers(role), name=name,
                                 catch_response=True) as response:
            if response.status_code not in (200, 201):
                response.failure(f"HTTP {response.status_code}: {(response.text or '')[:200]}")
                return None
            return response.json()

    @task
    def one_instance(self) -> None:
        started = time.perf_counter()
        self.filed += 1
        case = self._json("POST", "/api/v1/cases", "staff", "file", {
            "process": "five_step", "org": self.society["code"], "title": f"基准事项 {self.filed}", "data": FORM})
        if case is not None and self.return_every and self.filed % self.return_every == 0:
            case = self._return_and_refile(case)
        while case is not None and case["status"] == "running":
            case = self._approve_open_step(case)
        if case is not None and case["status"] == "completed":
            elapsed_ms = (time.perf_counter() - started) * 1000
            events.request.fire(request_type="FLOW", name="instance", response_time=elapsed_ms, response_length=0,
                                exception=None, context={})

    def _open_task(self, case: dict[str, Any]) -> dict[str, Any]:
        return next(t for t in case["tasks"] if t["status"] == "open")

    def _approve_open_step(self, case: dict[str, Any]) -> Any:
        step = self._open_task(case)
        if step["role"] == "cast_reviewer":
            self._json("GET", "/api/v1/tasks?view=todo&limit=50", step["role"], "inbox")
            self._json("GET", f"/api/v1/cases/{case['id']}", step["role"], "case")
        return self._json("POST", f"/api/v1/tasks/{step['id']}/complete", step["role"], "approve",
                          {"decision": "approve", "comment": "同意。"})

    def _return_and_refile(self, case: dict[str, Any]) -> Any:
        step = self._open_task(case)
        case = self._json("POST", f"/api/v1/tasks/{step['id']}/complete", step["role"], "return",
                          {"decision": "return", "comment": "请补充经费来源。"})
        if case is None:
            return None
        draft = self._open_task(case)
        return self._json("POST", f"/api/v1/tasks/{draft['id']}/complete", draft["role"], "refile",
                          {"decision": "submit", "comment": "", "data": {**FORM, "reason": "学术年会场地费，会费列支。"}})


def entry_summary(entry: StatsEntry, seconds: float) -> dict[str, float]:
    return {"count": entry.num_requests, "failures": entry.num_failures, "per_s": entry.num_requests / seconds,
            "p50_ms": entry.get_response_time_percentile(0.5) or 0.0,
            "p95_ms": entry.get_response_time_percentile(0.95) or 0.0}


def run(host: str, plan: dict[str, Any], clients: int, duration: float, warmup: float) -> dict[str, Any]:
    """Run ``clients`` clients for ``warmup`` + ``duration`` seconds; figures cover the ``duration`` part only."""
    ApprovalClient.plan = plan
    environment = Environment(user_classes=[ApprovalClient], host=host, events=events)
    runner = environment.create_local_runner()
    runner.start(clients, spawn_rate=clients)
    gevent.sleep(warmup)
    environment.stats.reset_all()
    measured_from = time.perf_counter()
    gevent.sleep(duration)
    seconds = time.perf_counter() - measured_from
    runner.quit()
    entries = {name: entry_summary(entry, seconds) for (name, _method), entry in environment.stats.entries.items()}
    errors = [f"{e.name}: {e.error} ×{e.occurrences}" for e in environment.stats.errors.values()]
    errors += [f"exception in a client: {row['msg']} ×{row['count']}" for row in runner.exceptions.values()]
    return {"seconds": seconds, "operations": entries, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description="Locust clients for bench.load (library mode); prints JSON.")
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True, help="JSON plan written by bench.load: societies and tokens")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    print(json.dumps(run(args.host, load_plan(args.plan), args.clients, args.duration, args.warmup)))


if __name__ == "__main__":
    main()

"""``make bench``: every performance target of the project with its figure, its limit, the ratio and PASS/FAIL.

    python -m bench.run                     every target on SQLite and PostgreSQL (about 10 minutes)
    python -m bench.run --quick             smaller runs of the same targets (a few minutes)
    python -m bench.run --db sqlite --targets 1,4

Figures are medians of one run on this machine; the load average at the start and the end is printed, since a
busy machine slows everything down. Compare the ratios within a run, not absolute times across machines.
A target is one entry in ``TARGETS``: a number, a title and a function that measures and returns its verdicts.
"""
from __future__ import annotations

import argparse
import operator
import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

import engine.models  # noqa: F401  (every table on Base.metadata)
from engine.bootstrap import start as start_engine
from engine.db import Base, make_engine, make_session_factory
from engine.identity import accounts as identity
from engine.runtime import deploy as deployment

from .databases import KINDS, PG_URL, fresh_database
from .engine_cost import measure_baguan_complete, measure_bare_spiff
from .history import measure_history
from .http_cost import measure_http_complete
from .inbox import measure_inbox
from .load import LoadPoint, LoadSettings, format_point, measure_load

# Benchmarks written before bench/databases.py existed import these two from here.
__all__ = ["PG_URL", "fresh_database"]

ROOT = Path(__file__).resolve().parent.parent
COMPARE: dict[str, Callable[[float, float], bool]] = {"≤": operator.le, "<": operator.lt, "≥": operator.ge,
                                                        ">": operator.gt}
FLAT = 1.5
"""A figure is "flat" when it grows by at most this factor between the small and the large data set."""
SPIFFARENA_MS = 65.0
"""SpiffArena's backend completing a task over HTTP: 65–86 ms measured on this machine; compared with the low end."""


@dataclass(frozen=True)
class Verdict:
    """One checked figure: PASS when ``figure <compare> limit``; ``skipped`` says why it was not measured."""

    target: str
    figure: float = 0.0
    unit: str = ""
    limit: float = 1.0
    compare: str = "≤"
    notes: tuple[str, ...] = ()
    skipped: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.limit if self.limit else float("inf")

    @property
    def status(self) -> str:
        if self.skipped:
            return "SKIP"
        return "PASS" if COMPARE[self.compare](self.figure, self.limit) else "FAIL"


@dataclass(frozen=True)
class Options:
    kinds: list[str]
    quick: bool
    workdir: Path
    load: LoadSettings = field(default_factory=LoadSettings)

    @property
    def iterations(self) -> int:
        return 50 if self.quick else 200


@dataclass(frozen=True)
class Target:
    number: int
    title: str
    measure: Callable[[Options], list[Verdict]]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def empty_database(kind: str, workdir: Path) -> tuple[sessionmaker[Session], Callable[[], None]]:
    """Every table created on a fresh database; the second value disposes of the engine and drops the database."""
    url, drop = fresh_database(kind, workdir)
    engine = make_engine(url)
    Base.metadata.create_all(engine)

    def cleanup() -> None:
        engine.dispose()
        drop()
    return make_session_factory(engine), cleanup


def engine_overhead(options: Options) -> list[Verdict]:
    verdicts = []
    for kind in options.kinds:
        sessions, cleanup = empty_database(kind, options.workdir)
        try:
            bare = measure_bare_spiff(options.iterations)
            baguan = measure_baguan_complete(sessions, options.iterations)
        finally:
            cleanup()
        ratio = statistics.median(baguan) / statistics.median(bare)
        verdicts.append(Verdict(
            f"(1) engine completion + commit / bare SpiffWorkflow [{kind}]", ratio, "×", 3.0, "≤",
            (f"bare SpiffWorkflow {median_ms(bare):.2f} ms, Baguan complete_task + commit {median_ms(baguan):.2f} ms "
             f"(medians of {len(baguan)})",)))
    return verdicts


def http_completion(options: Options) -> list[Verdict]:
    title = "(2) HTTP completion median [sqlite, 1 worker]"
    samples = measure_http_complete(options.workdir, options.iterations)
    median = median_ms(samples)
    return [Verdict(title, median, "ms", 6.0, "≤", (
        f"peer: SpiffArena's backend 65–86 ms on this machine; Baguan / {SPIFFARENA_MS:.0f} ms = "
        f"{median / SPIFFARENA_MS:.2f}",))]


def throughput(options: Options) -> list[Verdict]:
    settings = options.load
    curve = [2] if options.quick else [1, 2, 4]
    points: dict[str, list[LoadPoint]] = {}
    for kind in sorted(options.kinds, key=lambda k: k != "postgresql"):
        points[kind] = measure_load(kind, curve if kind == "postgresql" else [2], settings, options.workdir)
    return throughput_verdicts(points, settings.clients)


def throughput_verdicts(points: dict[str, list[LoadPoint]], clients: int) -> list[Verdict]:
    """Instances/s at 2 web workers on PostgreSQL, PostgreSQL against SQLite, and the PostgreSQL curve."""
    by_workers = {kind: {p.web_workers: p for p in found} for kind, found in points.items()}
    details = tuple(line for found in points.values() for p in found for line in format_point(p))
    verdicts = []
    pg, lite = by_workers.get("postgresql", {}), by_workers.get("sqlite", {})
    if 2 in pg:
        verdicts.append(Verdict(f"(3) completed instances/s [postgresql, 2 web workers, {clients} clients]",
                                pg[2].instances_per_s, "/s", 20.0, "≥", details))
    if 2 in pg and 2 in lite:
        verdicts.append(Verdict("(3) PostgreSQL / SQLite instances/s [2 web workers]",
                                _share(pg[2].instances_per_s, lite[2].instances_per_s), "×", 1.0, "≥"))
    for fewer, more in ((1, 2), (2, 4)):
        if fewer in pg and more in pg:
            verdicts.append(Verdict(f"(3) PostgreSQL instances/s, {more} / {fewer} web workers",
                                    _share(pg[more].instances_per_s, pg[fewer].instances_per_s), "×", 1.0, ">"))
    return verdicts or [Verdict("(3) throughput", skipped="needs PostgreSQL (--db postgresql or both)", notes=details)]


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def seed_for_inbox(kind: str, workdir: Path) -> tuple[sessionmaker[Session], Callable[[], None]]:
    """What bench.inbox expects to find: the 科协 TAST, a 经办人 b_staff and one deployed process."""
    sessions, cleanup = empty_database(kind, workdir)
    with sessions() as session, session.begin():
        identity.add_org(session, "TAST", "天津市科学技术协会", "supervisor")
        identity.add_org(session, "XH", "基准测试学会", "society", "TAST")
        identity.add_user(session, "b_staff", "b_staff", "bench-password")
        identity.grant_role(session, "b_staff", "staff", "XH")
        deployment.deploy(session, *deployment.read_sources([ROOT / "workflows" / "annual_plan.bpmn", ROOT / "forms"]))
    return sessions, cleanup


def inbox_scaling(options: Options) -> list[Verdict]:
    small, large = 10_000, 100_000
    verdicts = []
    for kind in options.kinds:
        medians: dict[int, dict[str, float]] = {}
        for tasks in (small, large):
            sessions, cleanup = seed_for_inbox(kind, options.workdir)
            try:
                medians[tasks] = {label.replace(f"{tasks:,}", "N"): median_ms(samples)
                                  for label, samples in measure_inbox(sessions, tasks, 200).items()}
            finally:
                cleanup()
        first = "first page of N tasks (50 rows + total)"
        notes = tuple(f"{label}: {medians[small][label]:.1f} ms at {small:,}, {value:.1f} ms at {large:,}"
                      for label, value in medians[large].items())
        verdicts.append(Verdict(f"(4) inbox first page + exact total, {large:,} open tasks [{kind}]",
                                medians[large][first], "ms", 20.0, "<", notes))
        verdicts.append(Verdict(f"(4) inbox first page, {large:,} / {small:,} open tasks [{kind}]",
                                _share(medians[large][first], medians[small][first]), "×", FLAT, "≤"))
    return verdicts


def history_flatness(options: Options) -> list[Verdict]:
    finished = 100_000 if options.quick else 1_000_000
    title = f"(5) completion and inbox, {finished:,} / 0 finished cases"
    verdicts = []
    for kind in options.kinds:
        medians: dict[int, dict[str, float]] = {}
        for count in (0, finished):
            sessions, cleanup = empty_database(kind, options.workdir)
            try:
                medians[count] = {label: median_ms(s) for label, s in measure_history(sessions, count).items()}
            finally:
                cleanup()
        for label, value in medians[finished].items():
            verdicts.append(Verdict(f"{title}: {label} [{kind}]", _share(value, medians[0][label]), "×", FLAT, "≤",
                                    (f"{medians[0][label]:.2f} ms at 0, {value:.2f} ms at {finished:,}",)))
    return verdicts


TARGETS = [
    Target(1, "engine completion with commit ≤ 3× bare SpiffWorkflow", engine_overhead),
    Target(2, "HTTP completion median ≤ 6 ms on SQLite, one worker", http_completion),
    Target(3, "≥ 20 completed 5-step instances/s with 2 web workers and 4 clients on PostgreSQL; PostgreSQL no "
              "slower than SQLite; throughput grows with web workers", throughput),
    Target(4, "inbox first page with exact total < 20 ms at 100,000 open tasks, and flat", inbox_scaling),
    Target(5, "completion and inbox page flat from 0 to 1,000,000 finished cases", history_flatness),
]


def format_verdict(verdict: Verdict) -> list[str]:
    if verdict.skipped:
        return [f"SKIP  {verdict.target}: {verdict.skipped}", *(f"      {note}" for note in verdict.notes)]
    line = (f"{verdict.status}  {verdict.target}: {verdict.figure:.2f} {verdict.unit}  limit {verdict.compare} "
            f"{verdict.limit:g} {verdict.unit}  ratio {verdict.ratio:.2f}")
    return [line, *(f"      {note}" for note in verdict.notes)]


def format_load(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average at {label}: {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs)"


def format_summary(verdicts: list[Verdict]) -> list[str]:
    counts = {status: sum(1 for v in verdicts if v.status == status) for status in ("PASS", "FAIL", "SKIP")}
    lines = ["", "Summary:"]
    for v in verdicts:
        figure = "" if v.skipped else f"  ({v.figure:.2f} {v.unit}, ratio {v.ratio:.2f})"
        lines.append(f"  {v.status}  {v.target}{figure}")
    lines.append(f"  {counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    return lines


def parse_targets(text: str) -> list[int]:
    numbers = [int(part) for part in text.split(",") if part.strip()]
    known = {t.number for t in TARGETS}
    if not numbers or not set(numbers) <= known:
        raise argparse.ArgumentTypeError(f"comma-separated target numbers among {sorted(known)}")
    return numbers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=[*KINDS, "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="smaller runs: fewer iterations, shorter load runs")
    parser.add_argument("--targets", type=parse_targets, default=[t.number for t in TARGETS],
                        help="comma-separated target numbers to run (default: all)")
    parser.add_argument("--duration", type=float, help="measured seconds per load run (default 20, quick 8)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    return parser


def main() -> None:
    args = build_parser().parse_args()
    start_engine()
    print(format_load("start"), flush=True)
    verdicts: list[Verdict] = []
    with tempfile.TemporaryDirectory() as workdir:
        duration = args.duration or (8.0 if args.quick else LoadSettings.duration)
        options = Options(list(KINDS) if args.db == "both" else [args.db], args.quick, Path(workdir),
                          LoadSettings(duration=duration, warmup=2.0 if args.quick else LoadSettings.warmup))
        for target in TARGETS:
            if target.number not in args.targets:
                continue
            print(f"\n({target.number}) {target.title}", flush=True)
            found = target.measure(options)
            for verdict in found:
                print("\n".join(format_verdict(verdict)), flush=True)
            verdicts.extend(found)
    print("\n".join(format_summary(verdicts)))
    print(format_load("end"))
    if args.strict and any(v.status == "FAIL" for v in verdicts):
        sys.exit(1)


if __name__ == "__main__":
    main()

"""Benchmarks: engine overhead against bare SpiffWorkflow, and the inbox query at 100,000 open tasks.

Run with ``make bench`` (or ``python -m bench.run --db both``). Numbers are medians of one run on this machine;
compare the ratios, not the absolute times, across machines.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Callable

from sqlalchemy import text

import engine.models  # noqa: F401  (every table on Base.metadata)
from engine.bootstrap import start as start_engine
from engine.db import Base, make_engine, make_session_factory

from .engine_cost import measure_baguan_complete, measure_bare_spiff
from .inbox import measure_inbox

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def fresh_database(kind: str, workdir: Path) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}", lambda: None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", drop


def run(kind: str, iterations: int, tasks: int, societies: int, workdir: Path) -> None:
    url, cleanup = fresh_database(kind, workdir)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    try:
        bare = measure_bare_spiff(iterations)
        baguan = measure_baguan_complete(sessions, iterations)
        print(f"[{kind}] bare SpiffWorkflow load→complete→serialise: {median_ms(bare):.2f} ms (median of {len(bare)})")
        print(f"[{kind}] Baguan complete_task incl. lock, projection, audit, commit: {median_ms(baguan):.2f} ms")
        print(f"[{kind}] ratio Baguan / bare: {statistics.median(baguan) / statistics.median(bare):.2f}×")
        for label, samples in measure_inbox(sessions, tasks, societies).items():
            print(f"[{kind}] inbox {label}: {median_ms(samples):.2f} ms (median of {len(samples)})")
    finally:
        engine.dispose()
        cleanup()


def main() -> None:
    start_engine()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--societies", type=int, default=200)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as workdir:
        for kind in kinds:
            run(kind, args.iterations, args.tasks, args.societies, Path(workdir))


if __name__ == "__main__":
    main()

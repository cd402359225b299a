"""SQL statements per spawn and per completed run, counted on every database connection.

In-process: `POST /api/spawn` through Django's test client (the whole middleware, auth, rate
limits, idempotency and admission), then the worker's own loop body (`agent_claim_next` and
`agent_run_safely`) against the zero-latency fake provider server. Every connection the process
opens (the run's heartbeat thread included) carries an execute wrapper, so nothing is missed.
The count is exact, not a timing: it does not depend on the machine's load.

    .venv/bin/python bench/bench_statements.py          # SQLite
    .venv/bin/python bench/bench_statements.py -v       # by table (-vv: each statement)
    .venv/bin/python bench/bench_statements.py --profile  # where the time goes (cProfile)
    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/bench_statements.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import backend, bootstrap, spawning_key

SAMPLES = 20


class StatementLog:
    """Every statement any connection of this process executes while `recording`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        if self.recording:
            with self.lock:
                self.statements.append(sql)
        return execute(sql, params, many, context)

    def take(self) -> list[str]:
        with self.lock:
            taken, self.statements = self.statements, []
        return taken


def install(log: StatementLog) -> None:
    from django.db import connections
    from django.db.backends.signals import connection_created

    def wrap(sender, connection, **kwargs):
        if log not in connection.execute_wrappers:
            connection.execute_wrappers.append(log)

    connection_created.connect(wrap, weak=False)
    for conn in connections.all():
        if log not in conn.execute_wrappers:
            conn.execute_wrappers.append(log)


def shape(sql: str) -> str:
    """A statement's verb and table, for the breakdown."""
    sql = " ".join(sql.split())
    verb = sql.split(" ", 1)[0].upper()
    match = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    return f"{verb} {match.group(1) if match else ''}".strip()


def report(label: str, counts: list[int], last: list[str], verbose: int) -> None:
    print(
        f"  {label:34s} {sum(counts) / len(counts):6.1f} statements "
        f"(min {min(counts)}, max {max(counts)}, over {len(counts)})"
    )
    if verbose > 1:
        for sql in last:
            print(f"      {' '.join(sql.split())[:300]}")
    elif verbose:
        for name, n in sorted(Counter(shape(s) for s in last).items()):
            print(f"      {n:3d}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.add_argument(
        "--profile", action="store_true", help="cProfile 100 spawns and 100 runs (cumulative)"
    )
    args = parser.parse_args()

    bootstrap("statements")
    from tests.fakeprovider import fake_provider_server

    with fake_provider_server() as fake:
        os.environ.update(fake.provider_env(api_key="sk-bench"))
        run(args.verbose, args.profile)


def profiled(label: str, work, times: int) -> None:
    import cProfile
    import pstats
    import time

    # CPU time of this process: on a loaded machine wall time mostly measures the others.
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    for _ in range(times):
        work()
    profile.disable()
    print(f"\n--- cProfile (CPU time) of {times} x {label}, top 30 by cumulative time")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(30)


def run(verbose: int, profile: bool) -> None:
    from django.test import Client

    from agents.models import Agent, Provider
    from agents.runner import agent_run_safely
    from agents.services import agent_claim_next
    from billing.services import budget_set

    _, secret = spawning_key()
    from decimal import Decimal

    budget_set(daily_budget=Decimal("1000000"))
    Provider.objects.update(hourly_limit=1_000_000)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = json.dumps({"task": "Write a haiku about queues", "model": "k2p5"})

    def spawn(**headers) -> None:
        response = client.post("/api/spawn", body, content_type="application/json", **headers)
        assert response.status_code == 201, response.content[:300]

    log = StatementLog()
    install(log)
    spawn()  # warm up: caches, first queries
    agent_run_safely(agent=agent_claim_next(worker="bench#1"))

    print(f"SQL statements on {backend()}")
    counts, last = [], []
    for _ in range(SAMPLES):
        log.recording = True
        spawn()
        log.recording = False
        last = log.take()
        counts.append(len(last))
    report("POST /api/spawn", counts, last, verbose)

    counts = []
    for i in range(SAMPLES):
        log.recording = True
        spawn(HTTP_IDEMPOTENCY_KEY=f"bench-{i}")
        log.recording = False
        last = log.take()
        counts.append(len(last))
    report("POST /api/spawn, Idempotency-Key", counts, last, verbose)

    counts = []
    for _ in range(SAMPLES):
        log.recording = True
        agent = agent_claim_next(worker="bench#1")
        agent_run_safely(agent=agent)
        log.recording = False
        last = log.take()
        counts.append(len(last))
    report("completed run (claim + run + end)", counts, last, verbose)
    failed = Agent.objects.exclude(status__in=["completed", "spawning"]).count()
    assert not failed, f"{failed} runs did not complete"
    if profile:
        profiled("POST /api/spawn", spawn, 100)
        profiled(
            "claim + run + end",
            lambda: agent_run_safely(agent=agent_claim_next(worker="bench#1")),
            100,
        )


if __name__ == "__main__":
    main()

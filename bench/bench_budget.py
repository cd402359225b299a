"""Admission throughput: budget reservations per second against the physical limit.

The physical limit of an atomic budget is one committed conditional UPDATE of one hot row, so
that is measured in the same run, on the same database, with the same process counts:

- bare UPDATE: `UPDATE billing_budgetday SET reserved = reserved + x WHERE spent + reserved + x
  <= limit`, one per transaction, nothing else;
- budget_reserve: the service (global budget day + reservation row, one transaction);
- admission_reserve: what a spawn calls (provider window + global + per-key budget +
  reservation row, one transaction).

Each runs in 1 process and in N processes (default 4) started together, in alternating rounds
(the best round of each counts); the ratio column is the service's rate over the bare UPDATE's at
the same process count.

    .venv/bin/python bench/bench_budget.py                      # SQLite, throwaway database
    DATABASE_URL=postgres://… .venv/bin/python bench/bench_budget.py   # j1msky_bench_budget
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import backend, bootstrap

BENCH_DAY = "2031-01-01"  # the bare UPDATE's own row, away from today's


def _bare_update(ops: int) -> None:
    from django.db import connection

    sql = (
        "UPDATE billing_budgetday SET reserved_micros = reserved_micros + %s "
        "WHERE day = %s AND spent_micros + reserved_micros + %s <= limit_micros"
    )
    with connection.cursor() as cursor:
        for _ in range(ops):
            cursor.execute(sql, [100, BENCH_DAY, 100])  # autocommit: one transaction each


def _budget_reserve(ops: int) -> None:
    from billing.services import budget_reserve

    for _ in range(ops):
        budget_reserve(amount=Decimal("0.0001"), holder="bench")


def _admission_reserve(ops: int) -> None:
    from billing.services import WindowSlots, admission_reserve
    from security.models import ApiKey

    key = ApiKey.objects.get(name="bench")
    for _ in range(ops):
        admission_reserve(
            owner=key.owner,
            api_key=key,
            amount=Decimal("0.0001"),
            windows=[WindowSlots("bench", 1, 10**9)],
            holder="bench",
            lease_seconds=600,
        )


OPERATIONS = {
    "bare conditional UPDATE": _bare_update,
    "budget_reserve": _budget_reserve,
    "admission_reserve": _admission_reserve,
}


def _worker(name: str, ops: int, barrier, results) -> None:
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    OPERATIONS[name](1)  # warm up: imports, first queries, connection
    barrier.wait()
    start = time.monotonic()
    OPERATIONS[name](ops)
    results.put((start, time.monotonic()))
    connection.close()


def measure(name: str, processes: int, ops: int) -> float:
    """Operations per second over all processes, from the first start to the last finish."""
    from django.db import connections

    connections.close_all()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(name, ops, barrier, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    spans = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode:
            raise RuntimeError(f"{name} worker failed ({worker.exitcode})")
    elapsed = max(end for _, end in spans) - min(start for start, _ in spans)
    return processes * ops / elapsed


def prepare() -> None:
    from django.contrib.auth import get_user_model

    from agents.models import Provider
    from billing.models import BudgetDay
    from billing.services import budget_set
    from security.services import api_key_create

    budget_set(daily_budget=Decimal("1000000000"))
    BudgetDay.objects.create(day=BENCH_DAY, limit_micros=10**18)
    Provider.objects.create(id="bench", adapter="simulated", env_name="BENCH", hourly_limit=10**9)
    owner = get_user_model().objects.create_user("bench")
    api_key_create(owner=owner, name="bench", scopes=["agents:write"], daily_budget=10**9)


def check() -> str:
    """The counters equal the rows: nothing lost, nothing counted twice."""
    from django.db.models import Sum

    from billing.models import BudgetDay, Reservation
    from billing.selectors import budget_status

    status = budget_status()
    rows = Reservation.objects.filter(day=status.day).aggregate(s=Sum("amount_micros"))["s"]
    counted = BudgetDay.objects.get(day=status.day).reserved_micros
    if rows != counted:
        raise AssertionError(f"reserved {counted} ≠ reservations {rows}")
    return f"reserved today {status.reserved} = sum of {Reservation.objects.count()} reservations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=200, help="operations per process")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    args = parser.parse_args()

    bootstrap("budget")
    prepare()
    print(
        f"J1MSKY admission benchmark — {backend()}, {args.ops} operations per process, "
        f"best of {args.rounds} alternating rounds"
    )
    print(f"{'operation':<26} {'procs':>5} {'ops/s':>10} {'× bare UPDATE':>14}")
    for processes in (1, args.processes):
        # Rounds alternate the operations, and each keeps its best round: on a shared machine a
        # burst of someone else's load then slows one round, not one operation's only figure.
        best = dict.fromkeys(OPERATIONS, 0.0)
        for _ in range(args.rounds):
            for name in OPERATIONS:
                best[name] = max(best[name], measure(name, processes, args.ops))
        bare = best["bare conditional UPDATE"]
        for name, rate in best.items():
            print(f"{name:<26} {processes:>5} {rate:>10,.0f} {rate / bare:>14.2f}")
    print(check())


if __name__ == "__main__":
    main()

"""`GET /orchestrator/status` at 1,000 and at 1,000,000 ledger rows (with 100,000 agents).

The status must not scan the ledger: today's usage and the forecast read the (day, model)
rollup, the last hour a range of the ledger's time index. Prints p50/p95 of the status at each
size and their ratio (kept under 3), next to `GET /billing/budget` (the same middleware, auth and
rate counting around two small queries) as the floor, and `/metrics` for information. In-process
(Django's test client), so it measures the request machinery and the database, not the network.

Ledger rows are spread evenly over the last 30 days at both sizes (1 or 2 in the last hour at
1,000, about 1,400 at 1,000,000) and written in bulk with each row's exact cost; the rollup and
the budget days are then built from them with the code of the rollup's migration, so they agree
with the ledger as `ledger_record` keeps them.

    DATABASE_URL=postgres://… .venv/bin/python bench/bench_status.py
    .venv/bin/python bench/bench_status.py            # SQLite
"""

from __future__ import annotations

import importlib
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import backend, bootstrap, percentile

SMALL, LARGE = 1_000, 1_000_000
AGENTS_SMALL, AGENTS_LARGE = 100, 100_000
DAYS = 30
REPEAT = 200
MAX_RATIO = 3.0
MODELS = [  # (alias, provider, input rate, output rate) from the seeded catalogue
    ("k2p5", "kimi-coding", "0.0005", "0.0015"),
    ("sonnet", "anthropic", "0.003", "0.015"),
    ("opus", "anthropic", "0.015", "0.075"),
    ("minimax-m2.5", "minimax-portal", "0.0001", "0.0001"),
    ("codex", "openai-codex", "0.002", "0.006"),
]


def in_small_set(i: int, of: int, small: int) -> bool:
    """Whether item `i` of `of` is one of `small` items spread evenly over all `of`."""
    step = of // small
    return i % step == step - 1


def ledger_rows(indexes, now):
    """Rows `indexes` of LARGE, evenly spread over the last DAYS days (row LARGE - 1 is now)."""
    from decimal import Decimal

    from billing.clock import budget_day
    from j1msky.money import to_micros, token_cost

    span = DAYS * 86400
    costs: dict = {}
    for i in indexes:
        at = now - timedelta(seconds=span * (LARGE - 1 - i) / LARGE)
        alias, provider, rin, rout = MODELS[i % len(MODELS)]
        tokens = (200 + (i * 7) % 1800, 50 + (i * 13) % 950)
        if (alias, tokens) not in costs:
            costs[(alias, tokens)] = to_micros(
                token_cost(
                    input_tokens=tokens[0],
                    output_tokens=tokens[1],
                    input_rate=Decimal(rin),
                    output_rate=Decimal(rout),
                )
            )
        agent = f"subagent_{1700000000 + i % AGENTS_LARGE}_{i % AGENTS_LARGE:06d}"
        cost = costs[(alias, tokens)]
        yield (at, budget_day(at), agent, alias, provider, *tokens, rin, rout, cost, False)


COLUMNS = (
    "created_at, day, agent_id, model, provider, input_tokens, output_tokens, input_rate, "
    "output_rate, cost_micros, simulated"
)


def ledger_load(indexes, now) -> None:
    from django.db import connection, transaction

    table = "billing_ledgerentry"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
                for row in ledger_rows(indexes, now):
                    copy.write_row(row)
            return
        ops = connection.ops
        sql = f"INSERT INTO {table} ({COLUMNS}) VALUES ({', '.join(['%s'] * 11)})"
        batch = []
        for at, day, *rest in ledger_rows(indexes, now):
            batch.append((ops.adapt_datetimefield_value(at), ops.adapt_datefield_value(day), *rest))
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def agents_load(indexes, owner, now) -> None:
    from agents.models import Agent

    statuses = ["completed"] * 8 + ["failed", "cancelled"]
    span = DAYS * 86400
    indexes = list(indexes)
    for offset in range(0, len(indexes), 10_000):
        Agent.objects.bulk_create(
            Agent(
                agent_id=f"subagent_{1700000000 + i}_{i:06d}",
                owner=owner,
                model_id=MODELS[i % len(MODELS)][0],
                requested_model=MODELS[i % len(MODELS)][0],
                task="benchmark task",
                max_tokens=4096,
                status=statuses[i % len(statuses)],
                created_at=now - timedelta(seconds=span * (AGENTS_LARGE - 1 - i) / AGENTS_LARGE),
            )
            for i in indexes[offset : offset + 10_000]
        )


def rollups_rebuild() -> None:
    """The rollup (with the migration's own fill) and budget days that agree with the ledger."""
    from django.apps import apps
    from django.db import connection
    from django.db.models import Sum

    from billing.models import BudgetDay, LedgerModelDay

    LedgerModelDay.objects.all().delete()
    importlib.import_module("billing.migrations.0003_ledger_model_day").rollup_fill(apps, None)
    BudgetDay.objects.all().delete()
    days = LedgerModelDay.objects.values("day").annotate(spent=Sum("cost_micros"))
    BudgetDay.objects.bulk_create(
        BudgetDay(day=d["day"], limit_micros=10**12, spent_micros=d["spent"]) for d in days
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timed(client, path: str) -> list[float]:
    for _ in range(5):  # warm caches and connections
        assert client.get(path).status_code == 200
    samples = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get(path)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:300]
    return samples


def measure(client, label: str) -> dict[str, list[float]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from billing.models import LedgerEntry

    with CaptureQueriesContext(connection) as queries:
        client.get("/api/orchestrator/status")
    recent = LedgerEntry.objects.filter(created_at__gte=_now() - timedelta(hours=1)).count()
    print(f"  {label}: {LedgerEntry.objects.count():,} ledger rows ({recent:,} in the last hour)")
    print(f"    status request: {len(queries)} queries")
    results = {}
    for name, path in (
        ("floor: /billing/budget", "/api/billing/budget"),
        ("/orchestrator/status", "/api/orchestrator/status"),
        ("/metrics", "/api/metrics"),
    ):
        results[name] = samples = timed(client, path)
        p50, p95 = percentile(samples, 50) * 1000, percentile(samples, 95) * 1000
        print(f"    {name:24s} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms")
    return results


def _now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    bootstrap("status")
    from django.contrib.auth import get_user_model
    from django.test import Client

    from security.services import api_key_create

    owner = get_user_model().objects.create_user("bench", is_staff=True)
    _, secret = api_key_create(
        owner=owner, name="bench", scopes=["agents:read", "billing:read", "admin:write"]
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    now = _now()
    print(f"GET /orchestrator/status on {backend()}, {REPEAT} requests each")

    def rows(small: bool):
        return (i for i in range(LARGE) if in_small_set(i, LARGE, SMALL) is small)

    def agents(small: bool):
        return (
            i for i in range(AGENTS_LARGE) if in_small_set(i, AGENTS_LARGE, AGENTS_SMALL) is small
        )

    ledger_load(rows(small=True), now)
    agents_load(agents(small=True), owner, now)
    rollups_rebuild()
    small = measure(client, f"{SMALL:,} rows, {AGENTS_SMALL:,} agents")

    started = time.perf_counter()
    ledger_load(rows(small=False), now)
    agents_load(agents(small=False), owner, now)
    rollups_rebuild()
    print(f"  (loaded the rest in {time.perf_counter() - started:.0f} s)")
    large = measure(client, f"{LARGE:,} rows, {AGENTS_LARGE:,} agents")

    name = "/orchestrator/status"
    ratios = {pct: percentile(large[name], pct) / percentile(small[name], pct) for pct in (50, 95)}
    print(f"  status ratio {LARGE:,} / {SMALL:,} rows: p50 {ratios[50]:.2f}, p95 {ratios[95]:.2f}")
    if max(ratios.values()) >= MAX_RATIO:
        print(f"FAIL: the status at {LARGE:,} rows costs {MAX_RATIO}× what it does at {SMALL:,}")
        sys.exit(1)


if __name__ == "__main__":
    main()

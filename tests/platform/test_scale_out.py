"""Scale-out: two web servers, two Celery workers and one beat on PostgreSQL + Redis.

500 requests — spawns on two models and both wire formats, cancels, pricing quotes and reads —
go through both web servers at once, from 24 threads. The day's budget is smaller than the
demand and one key sends more spawns than its hourly limit. Then, counted from the database, the
fake provider's log and the API:

- the budget never overshoots (sampled while the requests run, and at the end);
- the key's rate limit is exact: precisely its overflow is refused 429, no other key's spawn is;
- every agent is run at most once: the provider saw each agent's task exactly as many times as
  the ledger has rows for it, and one row per completed agent;
- every admitted agent is terminal within 60 s of the last request;
- each agent's events are, in the feed, spawned → (running) → one terminal event, nothing lost;
- the ledger's sum is `/billing/usage` = `/orchestrator/status` = `/metrics` to the cent, read
  through both web servers.
"""

from __future__ import annotations

import itertools
import json
import queue
import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.db.models import Count, Sum
from prometheus_client.parser import text_string_to_metric_families

from agents.models import Agent, KeyConcurrency, Provider
from billing.models import BudgetDay, LedgerEntry, ProviderWindow, Reservation
from billing.services import budget_set
from j1msky.money import from_micros
from pricing.models import Quote
from tests.agents.test_worker import provider_env
from tests.billing.test_processes import _wait_out_hour_boundary
from tests.conftest import ALL_SCOPES
from tests.fakeprovider import ok, slow
from tests.processes import (
    celery_beat,
    celery_worker,
    gunicorn_server,
    subprocess_env,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TERMINAL = ("completed", "failed", "cancelled")
SPAWN_LIMIT = 80  # spawns per key per hour
HOT_SPAWNS = 110  # the hot key's spawns: 30 over its limit
COLD_SPAWNS = 70  # each of the three other keys'
CANCELS, QUOTES, READS = 80, 60, 40
TOTAL = HOT_SPAWNS + 3 * COLD_SPAWNS + CANCELS + QUOTES + READS  # 500
BUDGET = Decimal("0.40")  # the demand is about three times as much


def provider_behaviours(n: int):
    """One provider reply in six takes about a second (so cancels find runs in flight); each
    charges nearly the worst case (1 input token, 900 of 1000 output tokens), never more."""
    for i in range(n):
        if i % 6 == 0:
            yield slow("s" * 80, chunk_delay=0.05, chunk_chars=4, input_tokens=1, output_tokens=900)
        else:
            yield ok(input_tokens=1, output_tokens=900)


def decimal(value) -> Decimal:
    return Decimal(repr(value))


def metrics_total(text: str, family: str) -> Decimal:
    return sum(
        (
            decimal(sample.value)
            for metric in text_string_to_metric_families(text)
            for sample in metric.samples
            if sample.name == family
        ),
        Decimal(0),
    )


def test_two_web_servers_two_workers_and_a_beat_keep_every_invariant(
    make_user, make_client, live_providers, tmp_path: Path
):
    _wait_out_hour_boundary()  # one budget day and one rate-limit hour throughout
    Provider.objects.update(hourly_limit=100_000)
    budget_set(daily_budget=BUDGET)
    owner = make_user()
    scopes = ["agents:read", "agents:write", "billing:read"]
    hot, *cold = [make_client(scopes, user=owner) for _ in range(4)]
    operator = make_client(ALL_SCOPES, staff=True)
    live_providers.enqueue(*provider_behaviours(HOT_SPAWNS + 3 * COLD_SPAWNS))
    env = subprocess_env(
        **provider_env(live_providers),
        J1MSKY_RATE_LIMIT_SPAWN=str(SPAWN_LIMIT),
        J1MSKY_MAX_WAITING_AGENTS_PER_KEY="1000",
    )

    serial = itertools.count()
    jobs: list[tuple[str, object]] = [("spawn", hot)] * HOT_SPAWNS
    for key in cold:
        jobs += [("spawn", key)] * COLD_SPAWNS
    jobs += [("cancel", cold[i % 3]) for i in range(CANCELS)]
    jobs += [("quote", cold[i % 3]) for i in range(QUOTES)]
    jobs += [("read", cold[i % 3]) for i in range(READS)]
    random.Random(18).shuffle(jobs)  # interleaved: spawns, cancels, quotes and reads overlap
    assert len(jobs) == TOTAL == 500

    admitted: queue.LifoQueue[str] = queue.LifoQueue()  # the newest: waiting or running
    results: list[tuple[str, object, int, dict]] = []
    overshoots: list[tuple[int, int, int]] = []
    sampling = threading.Event()

    def sample_budget() -> None:
        from django.db import connection

        try:
            while not sampling.wait(0.05):
                for day in BudgetDay.objects.all():
                    if day.reserved_micros + day.spent_micros > day.limit_micros:
                        overshoots.append((day.reserved_micros, day.spent_micros, day.limit_micros))
        finally:
            connection.close()

    with (
        gunicorn_server(workers=1, threads=12, env=env) as web_a,
        gunicorn_server(workers=1, threads=12, env=env) as web_b,
        celery_worker(env=env, concurrency=2, name="scale-a"),
        celery_worker(env=env, concurrency=2, name="scale-b"),
        celery_beat(env=env, schedule=tmp_path / "beat-schedule"),
        httpx.Client(timeout=60) as http,
    ):
        bases = itertools.cycle([web_a, web_b])
        lock = threading.Lock()

        def send(job) -> None:
            kind, key = job
            with lock:
                base, n = next(bases), next(serial)
            headers = {"Authorization": f"Bearer {key.secret}"}
            if kind == "spawn":
                body = {
                    "task": f"scale-out task [{n}]",
                    "model": "sonnet" if n % 4 == 0 else "k2p5",
                    "max_tokens": 1000,
                    "fallback": False,
                }
                r = http.post(f"{base}/api/v1/spawn", json=body, headers=headers)
                if r.status_code == 201:
                    admitted.put(r.json()["agent_id"])
            elif kind == "cancel":
                try:
                    agent_id = admitted.get(timeout=30)
                except queue.Empty:
                    pytest.fail("no agent to cancel")
                admitted.put(agent_id)  # a later cancel may meet it again
                r = http.delete(f"{base}/api/v1/agent/{agent_id}", headers=headers)
            elif kind == "quote":
                body = {"model": "sonnet" if n % 2 else "k2p5", "estimated_tokens": 2000 + n}
                r = http.post(f"{base}/api/v1/pricing/quote", json=body, headers=headers)
            else:
                path = ("/api/v1/rate-limits", "/api/v1/billing/budget", "/api/v1/agents")[n % 3]
                r = http.get(f"{base}{path}", headers=headers)
            try:
                body = r.json()
            except ValueError:
                body = {"raw": r.text[:200]}
            with lock:
                results.append((kind, key, r.status_code, body))

        sampler = threading.Thread(target=sample_budget, daemon=True)
        sampler.start()
        started = time.monotonic()
        try:
            with ThreadPoolExecutor(max_workers=24) as pool:
                list(pool.map(send, jobs))
            sent_in = time.monotonic() - started
            spawned = {b["agent_id"] for k, _, c, b in results if (k, c) == ("spawn", 201)}

            def unfinished() -> int:
                return (
                    Agent.objects.filter(agent_id__in=spawned).exclude(status__in=TERMINAL).count()
                )

            wait_for(lambda: unfinished() == 0, timeout=60, interval=0.2, message="all terminal")
            settled_in = time.monotonic() - started
        finally:
            sampling.set()
            sampler.join()

        # -- agreement, through both web servers --------------------------------------------
        ledger = from_micros(LedgerEntry.objects.aggregate(s=Sum("cost_micros"))["s"] or 0)
        op = {"Authorization": f"Bearer {operator.secret}"}
        for base in (web_a, web_b):
            usage = http.get(f"{base}/api/v1/billing/usage", headers=op).json()
            status_body = http.get(f"{base}/api/v1/orchestrator/status", headers=op).json()
            metrics = http.get(f"{base}/api/v1/metrics", headers=op).text
            assert decimal(usage["total_cost"]) == ledger, base
            assert decimal(status_body["today_spend"]) == ledger, base
            assert metrics_total(metrics, "j1msky_ledger_spend_usd_total") == ledger, base
            assert metrics_total(metrics, "j1msky_spend_today_usd") == ledger, base

        # -- the events feed, paged with its cursor -----------------------------------------
        feed: list[dict] = []
        url = f"{web_a}/api/v1/events?limit=100"
        headers = {"Authorization": f"Bearer {cold[0].secret}"}
        while url:
            page = http.get(url, headers=headers).json()
            feed += page["data"]
            cursor = page["pagination"].get("cursor")
            url = f"{web_b}/api/v1/events?limit=100&cursor={cursor}" if cursor else None

    codes = Counter((kind, code) for kind, _, code, _ in results)
    spawn_codes = Counter(code for kind, _, code, _ in results if kind == "spawn")
    print(f"\nscale-out: {TOTAL} requests in {sent_in:.1f} s, all terminal at {settled_in:.1f} s")
    print(f"scale-out: {dict(sorted(codes.items()))}")

    # -- every request answered as it should be ---------------------------------------------
    assert set(spawn_codes) <= {201, 402, 429}, spawn_codes
    assert spawn_codes[402] > 0 and spawn_codes[201] > 0, spawn_codes
    assert {code for kind, _, code, _ in results if kind == "cancel"} <= {200, 202, 409}
    assert codes[("quote", 200)] == QUOTES and codes[("read", 200)] == READS, codes
    assert Quote.objects.filter(owner=owner).count() == QUOTES

    # -- the rate limit is exact --------------------------------------------------------------
    refused = Counter(key.key.pk for kind, key, code, _ in results if code == 429)
    assert refused == {hot.key.pk: HOT_SPAWNS - SPAWN_LIMIT}, refused
    assert {body["error"]["type"] for _, _, code, body in results if code == 429} == {
        "rate_limited"
    }

    # -- no budget overshoot, nothing left reserved ------------------------------------------
    assert overshoots == []
    day = BudgetDay.objects.get()
    assert day.limit == BUDGET
    assert day.reserved_micros == 0
    assert day.spent_micros == LedgerEntry.objects.aggregate(s=Sum("cost_micros"))["s"]
    assert day.spent <= BUDGET
    assert not Reservation.objects.filter(state="open").exists()
    assert {(c.running, c.waiting) for c in KeyConcurrency.objects.all()} == {(0, 0)}
    for window in ProviderWindow.objects.all():
        assert window.used <= window.hourly_limit

    # -- each agent run at most once, each completed one exactly once ------------------------
    agents = Agent.objects.filter(owner=owner)
    assert set(agents.values_list("agent_id", flat=True)) == spawned
    statuses = Counter(agents.values_list("status", flat=True))
    assert set(statuses) <= {"completed", "cancelled"}, statuses
    assert statuses["completed"] > 0 and statuses["cancelled"] > 0, statuses
    rows = dict(
        LedgerEntry.objects.values("agent_id").annotate(n=Count("pk")).values_list("agent_id", "n")
    )
    calls: dict[str, list] = defaultdict(list)
    tasks = dict(agents.values_list("task", "agent_id"))
    for request in live_providers.requests:
        raw = request.raw_body.decode()
        (tag,) = {task for task in tasks if json.dumps(task)[1:-1] in raw}
        calls[tasks[tag]].append(request)
    for agent_id, status in agents.values_list("agent_id", "status"):
        seen = [(r.behaviour.kind, r.chunks_sent, r.disconnected.is_set()) for r in calls[agent_id]]
        ledger_rows = list(
            LedgerEntry.objects.filter(agent_id=agent_id).values_list(
                "input_tokens", "output_tokens"
            )
        )
        assert len(seen) == len(ledger_rows) <= 1, (agent_id, status, seen, ledger_rows)
        if status == "completed":
            assert rows.get(agent_id) == 1, agent_id
    assert len(live_providers.requests) == sum(rows.values())

    # -- no event lost -----------------------------------------------------------------------
    ids = [event["id"] for event in feed]
    assert ids == sorted(set(ids))
    per_agent: dict[str, list[str]] = defaultdict(list)
    for event in feed:
        if event["type"].startswith("agent."):
            per_agent[event["agent_id"]].append(event["type"])
    assert set(per_agent) == spawned
    for agent_id, status in agents.values_list("agent_id", "status"):
        types = per_agent[agent_id]
        assert types[0] == "agent.spawned" and types[-1] == f"agent.{status}", (agent_id, types)
        assert types[1:-1] in ([], ["agent.running"]), (agent_id, types)
        if status == "completed":
            assert types == ["agent.spawned", "agent.running", "agent.completed"]

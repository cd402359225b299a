"""Bursts of spawns through real web and worker processes: every admitted agent starts and ends.

Exact admission is half of it; these tests prove the other half on both backends: no agent of a
burst is left waiting in `spawning` while workers idle, keys beyond their concurrency wait their
turn and then run, and a worker killed mid-burst leaves nothing stuck once the reaper has run.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.db.models import Count

from agents import reaper
from agents.models import Agent, KeyConcurrency, Provider
from billing.models import BudgetDay, LedgerEntry, Reservation
from tests.agents.test_worker import provider_env
from tests.fakeprovider import slow
from tests.processes import celery_worker, gunicorn_server, subprocess_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

KEYS = 4
PER_KEY = 10  # a round: 40 concurrent spawns, 10 per key
KEY_CONCURRENCY = 2  # below the worker's 4 processes: agents wait for their key's slot
TERMINAL = ("completed", "failed", "cancelled")


@pytest.fixture
def burst_env(live_providers):
    """Providers on the fake server, windows and request limits that never bind."""
    Provider.objects.update(hourly_limit=100_000)
    return subprocess_env(
        **provider_env(live_providers), J1MSKY_RATE_LIMIT_SPAWN="100000", J1MSKY_DAILY_BUDGET="1000"
    )


@pytest.fixture
def keys(make_client):
    return [
        make_client(["agents:read", "agents:write"], max_concurrent_agents=KEY_CONCURRENCY)
        for _ in range(KEYS)
    ]


def spawn_round(base: str, keys, n_per_key: int = PER_KEY) -> list[str]:
    """`n_per_key` spawns per key, all sent at once from as many threads; the admitted ids."""
    body = json.dumps({"task": "burst", "model": "k2p5", "fallback": False})

    def one(secret: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        return httpx.post(f"{base}/api/spawn", content=body, headers=headers, timeout=60)

    secrets = [key.secret for key in keys for _ in range(n_per_key)]
    with ThreadPoolExecutor(max_workers=len(secrets)) as pool:
        responses = list(pool.map(one, secrets))
    assert [r.status_code for r in responses] == [201] * len(secrets), [
        r.content for r in responses if r.status_code != 201
    ][:3]
    return [r.json()["agent_id"] for r in responses]


def max_simultaneous(spans) -> int:
    """The most spans open at one instant (an end at the same instant as a start comes first)."""
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def unfinished(ids: list[str]) -> int:
    return Agent.objects.filter(agent_id__in=ids).exclude(status__in=TERMINAL).count()


def test_every_agent_of_ten_bursts_starts_and_finishes_promptly(burst_env, keys):
    with (
        gunicorn_server(workers=2, threads=8, env=burst_env) as base,
        celery_worker(env=burst_env, concurrency=4, name="burst"),
    ):
        for round_no in range(10):
            ids = spawn_round(base, keys)
            sent = time.monotonic()
            wait_for(
                lambda ids=ids: unfinished(ids) == 0,
                timeout=10,
                interval=0.05,
                message=f"round {round_no}: every agent terminal within 10 s",
            )
            assert time.monotonic() - sent < 10
            statuses = dict(
                Agent.objects.filter(agent_id__in=ids)
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            assert statuses == {"completed": KEYS * PER_KEY}, (round_no, statuses)

    # No key ever ran more than its limit at once, and the limit was reached.
    peaks = []
    for key in keys:
        spans = list(
            Agent.objects.filter(api_key=key.key).values_list("started_at", "completed_at")
        )
        assert len(spans) == 10 * PER_KEY
        peaks.append(max_simultaneous(spans))
    assert max(peaks) == KEY_CONCURRENCY, peaks
    counts = KeyConcurrency.objects.filter(api_key__in=[k.key for k in keys])
    assert {(c.running, c.waiting) for c in counts} == {(0, 0)}
    assert BudgetDay.objects.get().reserved_micros == 0
    # One run each: one provider call, one ledger row per agent.
    per_agent = LedgerEntry.objects.values("agent_id").annotate(n=Count("pk"))
    assert {row["n"] for row in per_agent} == {1}
    assert per_agent.count() == 10 * KEYS * PER_KEY


def test_a_worker_killed_mid_burst_leaves_nothing_stuck(
    burst_env, keys, live_providers, settings, monkeypatch
):
    settings.J1MSKY_WORKER_LOST_AFTER_SECONDS = 4
    monkeypatch.setattr(reaper, "REQUEUE_AFTER", timedelta(seconds=2))
    # Runs of about half a second, so the kill finds some running and more waiting.
    live_providers.enqueue(*[slow("k" * 40, chunk_delay=0.05) for _ in range(KEYS * PER_KEY)])
    with gunicorn_server(workers=2, threads=8, env=burst_env) as base:
        with celery_worker(env=burst_env, concurrency=4, name="doomed") as worker:
            ids = spawn_round(base, keys)
            wait_for(lambda: Agent.objects.filter(status="running").count() >= 4)
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        stuck = Agent.objects.filter(agent_id__in=ids, status__in=["spawning", "running"])
        assert stuck.exists()

        with celery_worker(env=burst_env, concurrency=4, name="fresh"):
            # The reaper's pass, once the dead runs' heartbeats are stale.
            time.sleep(settings.J1MSKY_WORKER_LOST_AFTER_SECONDS + 1)
            reaped = reaper.agents_reap()
            assert reaped >= 1
            wait_for(lambda: unfinished(ids) == 0, timeout=30, message="every agent terminal")

    agents = Agent.objects.filter(agent_id__in=ids)
    lost = set(agents.filter(status="failed").values_list("error_type", flat=True))
    assert lost <= {"worker_lost"}
    assert agents.filter(status="failed").count() == reaped
    assert agents.filter(status="completed").count() == len(ids) - reaped
    # Nothing charged twice or left reserved: each completed agent has exactly one ledger row,
    # and the day's spend is the ledger's sum.
    completed = agents.filter(status="completed").values_list("agent_id", flat=True)
    per_agent = dict(
        LedgerEntry.objects.filter(agent_id__in=list(completed))
        .values("agent_id")
        .annotate(n=Count("pk"))
        .values_list("agent_id", "n")
    )
    assert set(per_agent.values()) == {1} and len(per_agent) == len(completed)
    assert not Reservation.objects.filter(state="open").exists()
    day = BudgetDay.objects.get()
    assert day.reserved_micros == 0
    assert day.spent_micros == sum(LedgerEntry.objects.values_list("cost_micros", flat=True))

"""Agents on a real Celery worker process over the real broker (not eager), on both backends."""

import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from agents.models import Agent
from agents.reaper import agents_reap
from billing.models import BudgetDay, LedgerEntry, Reservation
from tests.fakeprovider import ok, slow
from tests.processes import celery_worker, gunicorn_server, subprocess_env, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def provider_env(fake) -> dict[str, str]:
    return {"J1MSKY_WORKER_HEARTBEAT_SECONDS": "1", **fake.provider_env()}


@pytest.fixture
def writer(make_client, live_providers):
    return make_client(["agents:read", "agents:write"])


def status_of(agent_id: str) -> str:
    return Agent.objects.get(pk=agent_id).status


def test_spawn_runs_to_completed_on_a_real_worker(writer, live_providers):
    live_providers.enqueue(slow("a" * 120, chunk_delay=0.05, input_tokens=50, output_tokens=70))
    with celery_worker(env=subprocess_env(**provider_env(live_providers))):
        agent_id = writer.post("/api/spawn", {"task": "go", "model": "k2p5"}, format="json").json()[
            "agent_id"
        ]
        wait_for(lambda: status_of(agent_id) == "running", message="running")
        progress = wait_for(
            lambda: writer.get(f"/api/agent/{agent_id}").json()["progress"]["output_tokens"],
            message="progress while running",
        )
        assert progress > 0
        wait_for(lambda: status_of(agent_id) == "completed", message="completed")
    detail = writer.get(f"/api/agent/{agent_id}").json()
    assert detail["usage"] == {"input_tokens": 50, "output_tokens": 70}
    assert detail["result"] == "a" * 120
    # 50 × 0.0005/1000 + 70 × 0.0015/1000 = 0.000025 + 0.000105 = 0.00013 → 0.0001
    assert detail["cost"] == 0.0001
    assert LedgerEntry.objects.filter(agent_id=agent_id).count() == 1


def test_cancel_stops_the_provider_stream_and_refunds_reserved_minus_actual(writer, live_providers):
    live_providers.enqueue(slow("b" * 4000, chunk_delay=0.05, output_tokens=1000))
    with celery_worker(env=subprocess_env(**provider_env(live_providers))):
        spawned = writer.post("/api/spawn", {"task": "long", "model": "k2p5"}, format="json")
        assert spawned.status_code == 201, spawned.content
        agent_id = spawned.json()["agent_id"]
        wait_for(lambda: live_providers.requests and live_providers.last_request.chunks_sent > 5)
        response = writer.delete(f"/api/agent/{agent_id}")
        assert response.status_code == 202, response.content
        assert response.json()["message"] == "Agent cancelling"
        wait_for(lambda: status_of(agent_id) == "cancelled", message="cancelled by its worker")
    assert live_providers.last_request.disconnected.wait(5)
    agent = Agent.objects.get(pk=agent_id)
    detail = writer.get(f"/api/agent/{agent_id}").json()
    assert Decimal(str(detail["refund"])) == agent.reserved_cost - agent.actual_cost > 0
    assert Reservation.objects.get(pk=agent.reservation_id).state == "released"
    # The run keeps what the provider had streamed before the cancel, and is charged for it.
    assert detail["result"] and set(detail["result"]) == {"b"} and len(detail["result"]) < 4000
    assert detail["usage"]["output_tokens"] > 0


def test_killed_worker_leaves_no_agent_running_and_no_double_charge(writer, live_providers):
    live_providers.enqueue(slow("c" * 4000, chunk_delay=0.05), ok("never reached"))
    env = subprocess_env(**provider_env(live_providers))
    with celery_worker(env=env) as worker:
        agent_id = writer.post(
            "/api/spawn", {"task": "doomed", "model": "k2p5"}, format="json"
        ).json()["agent_id"]
        wait_for(lambda: live_providers.requests and live_providers.last_request.chunks_sent > 3)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    assert status_of(agent_id) == "running"

    later = timezone.now() + timedelta(minutes=5)
    assert agents_reap(now=later) == 1
    agent = Agent.objects.get(pk=agent_id)
    assert agent.status == "failed" and agent.error_type == "worker_lost"
    assert agents_reap(now=later) == 0  # a second reaper pass changes nothing

    # The redelivered message reaches a new worker, which finds the run terminal and does nothing.
    with celery_worker(env=env):
        wait_for(lambda: not Agent.objects.filter(status="running").exists(), timeout=10)
    assert len(live_providers.requests) == 1
    assert Agent.objects.get(pk=agent_id).status == "failed"
    charged = sum(
        LedgerEntry.objects.filter(agent_id=agent_id).values_list("cost_micros", flat=True)
    )
    day = BudgetDay.objects.get()
    assert day.reserved_micros == 0
    assert day.spent_micros == charged == 0


def test_a_killed_pool_process_is_reaped_though_its_worker_lives(writer, live_providers, settings):
    """The worker's main process outlives its pool child: the run's own heartbeat tells."""
    import psutil

    from agents.models import KeyConcurrency
    from j1msky.selectors import worker_heartbeat_live_list

    settings.J1MSKY_WORKER_LOST_AFTER_SECONDS = 4
    live_providers.enqueue(slow("d" * 4000, chunk_delay=0.05), ok("never reached"))
    with celery_worker(env=subprocess_env(**provider_env(live_providers)), concurrency=1) as worker:
        agent_id = writer.post(
            "/api/spawn", {"task": "orphaned", "model": "k2p5"}, format="json"
        ).json()["agent_id"]
        wait_for(lambda: live_providers.requests and live_providers.last_request.chunks_sent > 3)
        (child,) = psutil.Process(worker.pid).children()
        child.kill()
        reaped = wait_for(lambda: agents_reap(), timeout=30, message="the run reaped")
        assert worker_heartbeat_live_list().filter(hostname=worker.hostname).exists()
    assert reaped == 1
    agent = Agent.objects.get(pk=agent_id)
    assert (agent.status, agent.error_type) == ("failed", "worker_lost")
    assert len(live_providers.requests) == 1
    assert KeyConcurrency.objects.get(api_key=writer.key).running == 0
    assert BudgetDay.objects.get().reserved_micros == 0


def test_a_long_run_keeps_beating_and_is_never_reaped(writer, live_providers, settings):
    """The control for the test above: a live run outlasting the threshold is left alone."""
    import time

    settings.J1MSKY_WORKER_LOST_AFTER_SECONDS = 3
    live_providers.enqueue(slow("e" * 480, chunk_delay=0.05))  # about 6 s of streaming
    with celery_worker(env=subprocess_env(**provider_env(live_providers)), concurrency=1):
        agent_id = writer.post(
            "/api/spawn", {"task": "long", "model": "k2p5"}, format="json"
        ).json()["agent_id"]
        wait_for(lambda: status_of(agent_id) == "running", message="running")
        started = time.monotonic()
        reaped = []
        while status_of(agent_id) == "running":
            reaped.append(agents_reap())
            time.sleep(0.5)
        ran_for = time.monotonic() - started
    assert ran_for > 4 and sum(reaped) == 0
    agent = Agent.objects.get(pk=agent_id)
    assert agent.status == "completed" and agent.result == "e" * 480


def test_200_concurrent_spawns_admit_exactly_the_budget(make_client):
    n = 37
    client = make_client(["agents:write"], max_concurrent_agents=1000)
    # worst case of k2p5 with max_tokens 1000 and a 4-character task: 0.0015
    env = subprocess_env(
        J1MSKY_DAILY_BUDGET=str(Decimal("0.0015") * n),
        J1MSKY_RATE_LIMIT_SPAWN="100000",
    )
    body = json.dumps({"task": "race", "model": "k2p5", "max_tokens": 1000, "fallback": False})
    headers = {"Authorization": f"Bearer {client.secret}", "Content-Type": "application/json"}
    with (
        gunicorn_server(workers=2, threads=8, env=env) as base,
        httpx.Client(base_url=base, timeout=120, headers=headers) as http,
        ThreadPoolExecutor(max_workers=32) as pool,
    ):
        responses = list(pool.map(lambda _: http.post("/api/spawn", content=body), range(200)))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == n, sorted(set(statuses))
    assert statuses.count(402) == 200 - n
    assert Agent.objects.count() == n
    day = BudgetDay.objects.get()
    assert day.reserved_micros == n * 1500 <= day.limit_micros

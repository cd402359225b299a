"""Run liveness and the money it holds: leases, heartbeats, the reapers, cancel while waiting."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agents.models import Agent, KeyConcurrency
from agents.reaper import agents_reap, reservations_reap
from billing.errors import ProviderRateLimited
from billing.models import BudgetDay, Reservation
from j1msky.models import WorkerHeartbeat
from tests.fakeprovider import status

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(make_client):
    return make_client(["agents:read", "agents:write"])


def spawn(client, **body):
    body.setdefault("task", "Summarise the quarter")
    response = client.post("/api/spawn", body, format="json")
    assert response.status_code == 201, response.content
    return Agent.objects.get(pk=response.json()["agent_id"])


def running_on(agent: Agent, *, worker: str, heartbeat_age: timedelta) -> Agent:
    """Claim the agent for `worker`, its last run heartbeat `heartbeat_age` ago."""
    from agents.services import agent_claim

    assert agent_claim(agent_id=agent.agent_id, worker=worker) is not None
    beat = timezone.now() - heartbeat_age
    Agent.objects.filter(pk=agent.pk).update(
        started_at=beat - timedelta(minutes=5), heartbeat_at=beat
    )
    return Agent.objects.get(pk=agent.pk)


def live_worker(hostname: str = "w1@host", pid: int = 4242) -> str:
    WorkerHeartbeat.objects.create(hostname=hostname, pid=pid, last_seen=timezone.now())
    return f"{hostname}#{pid}"


def test_a_waiting_agent_keeps_its_reservation_however_long_the_queue(writer, settings):
    settings.J1MSKY_DAILY_BUDGET = Decimal("0.0020")  # one k2p5 worst case (0.0015) fits
    agent = spawn(writer, model="k2p5", max_tokens=1000, fallback=False)
    reservation = agent.reservation
    later = reservation.lease_expires_at + timedelta(hours=3)

    assert reservations_reap(now=later, lease_seconds=120) == 0
    reservation.refresh_from_db()
    assert reservation.state == "open"
    assert reservation.lease_expires_at == later + timedelta(seconds=120)
    assert BudgetDay.objects.get().reserved_micros == 1500
    # The money is still held, so a second run cannot overshoot the day's budget.
    refused = writer.post(
        "/api/spawn", {"task": "t", "model": "k2p5", "max_tokens": 1000}, format="json"
    )
    assert refused.status_code == 402


def test_the_reservation_of_a_run_whose_heartbeat_stopped_is_released(writer):
    quiet = running_on(spawn(writer), worker=live_worker(), heartbeat_age=timedelta(minutes=10))
    beating = running_on(spawn(writer), worker=live_worker("w2@host"), heartbeat_age=timedelta())
    Reservation.objects.update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    assert reservations_reap() == 1
    assert Reservation.objects.get(pk=quiet.reservation_id).state == "released"
    kept = Reservation.objects.get(pk=beating.reservation_id)
    assert kept.state == "open" and kept.lease_expires_at > timezone.now()


def test_liveness_is_judged_at_the_reapers_now(writer):
    beating = running_on(spawn(writer), worker=live_worker(), heartbeat_age=timedelta())
    an_hour_on = timezone.now() + timedelta(hours=1)  # no heartbeat in that hour: it is gone
    assert reservations_reap(now=an_hour_on) == 1
    assert Reservation.objects.get(pk=beating.reservation_id).state == "released"


def test_the_reaper_fails_a_run_whose_process_died_though_its_worker_lives(writer):
    worker = live_worker()
    dead = running_on(spawn(writer), worker=worker, heartbeat_age=timedelta(minutes=2))
    alive = running_on(spawn(writer), worker=worker, heartbeat_age=timedelta(seconds=5))
    assert KeyConcurrency.objects.get(api_key=writer.key).running == 2

    assert agents_reap() == 1
    dead.refresh_from_db()
    assert (dead.status, dead.error_type) == ("failed", "worker_lost")
    assert Reservation.objects.get(pk=dead.reservation_id).state == "released"
    assert Agent.objects.get(pk=alive.pk).status == "running"
    assert KeyConcurrency.objects.get(api_key=writer.key).running == 1
    assert agents_reap() == 0


def test_claim_stamps_the_heartbeat_and_renews_the_lease(writer):
    from agents.services import agent_claim, agent_heartbeat

    agent = spawn(writer)
    Reservation.objects.filter(pk=agent.reservation_id).update(
        lease_expires_at=timezone.now() - timedelta(minutes=1)
    )
    claimed = agent_claim(agent_id=agent.agent_id, worker="w#1")
    assert claimed.heartbeat_at is not None
    assert Reservation.objects.get(pk=agent.reservation_id).lease_expires_at > timezone.now()

    assert agent_heartbeat(agent=claimed) is True
    Agent.objects.filter(pk=agent.pk).update(status="failed")
    assert agent_heartbeat(agent=claimed) is False


def test_cancel_while_waiting_for_a_provider_window_ends_cancelled(
    writer, live_providers, run_waiting, monkeypatch
):
    """The first call gets a 429; its retry waits for a window slot, and the cancel lands then."""
    from agents import runner

    live_providers.enqueue(status(429, retry_after=0))
    agent = spawn(writer, model="k2p5")

    def window_full(*, provider, **_):
        Agent.objects.filter(pk=agent.pk).update(cancel_requested=True)
        raise ProviderRateLimited(
            provider=provider, used=1, limit=1, reset_at=timezone.now(), retry_after=60
        )

    monkeypatch.setattr(runner, "window_take", window_full)
    run_waiting()
    agent.refresh_from_db()
    assert (agent.status, agent.error_type) == ("cancelled", "")
    assert len(live_providers.requests) == 1
    assert Reservation.objects.get(pk=agent.reservation_id).state == "released"


def test_a_cancel_between_claim_and_call_records_no_call(writer, live_providers):
    """Cancelled after a worker claimed it but before its request went out: the run ends
    cancelled without calling the provider, and the ledger has no row (no call to count in
    `total_calls`); the reservation goes back whole."""
    from agents.runner import agent_run_safely
    from agents.services import agent_claim
    from billing.models import LedgerEntry

    agent = spawn(writer, model="k2p5", fallback=False)
    claimed = agent_claim(agent_id=agent.agent_id, worker="w#1")
    Agent.objects.filter(pk=agent.pk).update(cancel_requested=True)
    agent_run_safely(agent=claimed)

    agent.refresh_from_db()
    assert (agent.status, agent.actual_cost) == ("cancelled", 0)
    assert live_providers.requests == []
    assert not LedgerEntry.objects.filter(agent_id=agent.agent_id).exists()
    assert Reservation.objects.get(pk=agent.reservation_id).state == "released"
    assert BudgetDay.objects.get().reserved_micros == 0


def test_each_batch_item_counts_against_the_spawn_limit(writer, settings):
    settings.J1MSKY_RATE_LIMITS = {**settings.J1MSKY_RATE_LIMITS, "spawn": 3}
    response = writer.post(
        "/api/spawn-batch", {"agents": [{"task": f"item {i}"} for i in range(5)]}, format="json"
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["success"] for r in results] == [True, True, True, False, False]
    assert {r["error"]["type"] for r in results[3:]} == {"rate_limited"}
    assert all(r["error"]["retry_after"] >= 1 for r in results[3:])
    assert response["X-RateLimit-Remaining"] == "0"
    assert Agent.objects.count() == 3
    assert writer.post("/api/spawn", {"task": "one more"}, format="json").status_code == 429


def test_a_batch_over_the_limit_from_its_first_item_is_refused_whole(writer, settings):
    settings.J1MSKY_RATE_LIMITS = {**settings.J1MSKY_RATE_LIMITS, "spawn": 2}
    assert writer.post("/api/spawn", {"task": "a"}, format="json").status_code == 201
    assert writer.post("/api/spawn", {"task": "b"}, format="json").status_code == 201
    response = writer.post(
        "/api/spawn-batch", {"agents": [{"task": "c"}, {"task": "d"}]}, format="json"
    )
    assert response.status_code == 429
    assert response.json()["error"]["type"] == "rate_limited"
    assert Agent.objects.count() == 2


def test_a_run_that_was_reaped_stops_calling_providers(writer):
    """The run checks its own status with its cancel flag: once reaped, it stops at once."""
    from agents.runner import RunContext

    agent = running_on(spawn(writer), worker="w#1", heartbeat_age=timedelta())
    ctx = RunContext(agent=agent, deadline=float("inf"))
    assert ctx.cancel_requested() is False
    Agent.objects.filter(pk=agent.pk).update(status="failed", error_type="worker_lost")
    ctx.last_cancel_check = 0.0
    assert ctx.cancel_requested() is True


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_heartbeat_thread_reconnects_after_losing_its_connection(writer, settings, monkeypatch):
    import time

    from django.db import connection

    from agents import outage
    from agents.services import agent_heartbeat

    settings.J1MSKY_WORKER_HEARTBEAT_SECONDS = 0.05
    agent = running_on(spawn(writer), worker="w#1", heartbeat_age=timedelta(minutes=5))
    calls = []

    def heartbeat_losing_its_connection_once(*, agent):
        calls.append(1)
        if len(calls) == 1:
            connection.ensure_connection()
            connection.connection.close()  # the server dropped it, behind Django's back
        return agent_heartbeat(agent=agent)

    monkeypatch.setattr(outage, "agent_heartbeat", heartbeat_losing_its_connection_once)
    with outage.run_heartbeat(agent):
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(calls) >= 3
    agent.refresh_from_db()
    assert timezone.now() - agent.heartbeat_at < timedelta(seconds=10)


def test_the_reaper_sends_run_messages_for_claimable_agents_left_waiting(writer, monkeypatch):
    from agents import reaper

    sent = []
    monkeypatch.setattr(reaper, "run_message_send", lambda *a: sent.append(a))
    fresh = spawn(writer)
    stranded = spawn(writer)
    Agent.objects.filter(pk=stranded.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    assert agents_reap() == 0
    assert len(sent) == 1  # the stranded agent; the fresh one still has its own message
    assert Agent.objects.get(pk=fresh.pk).status == "spawning"

    # A key running its limit leaves its old waiting agents unclaimable: no message for them.
    sent.clear()
    writer.key.max_concurrent_agents = 1
    writer.key.save()
    running_on(fresh, worker=live_worker(), heartbeat_age=timedelta())
    assert agents_reap() == 0 and sent == []

"""Cost-spike protection (semantics §12.7): a key that spends more than J1MSKY_COST_SPIKE_LIMIT
within an hour is suspended with the ledger row that crossed it, before anything else of it is
admitted or started; an admin reinstates it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from agents.models import Agent
from agents.reaper import agents_reap
from billing.models import Reservation
from security.models import ApiKey, AuditLog
from tests.ledger import ledger_record

pytestmark = pytest.mark.django_db


def spend(key: ApiKey, output_tokens: int, *, at=None):
    """One opus call of `output_tokens` (0.075 USD per 1K): 10,000 tokens cost 0.75."""
    return ledger_record(
        model_alias="opus",
        owner=key.owner,
        api_key=key,
        input_tokens=0,
        output_tokens=output_tokens,
        now=at,
    )


def suspended(key: ApiKey) -> bool:
    return ApiKey.objects.get(pk=key.pk).suspended_at is not None


def test_a_spike_suspends_the_key_before_its_next_spawn_or_waiting_run(
    make_client, make_user, run_waiting, settings
):
    settings.J1MSKY_COST_SPIKE_LIMIT = Decimal("0.0010")
    owner = make_user()
    spender = make_client(["agents:read", "agents:write"], user=owner, max_concurrent_agents=1)
    watcher = make_client(["agents:read"], user=owner)
    first = spender.post("/api/spawn", {"model": "opus", "task": "expensive"}, format="json")
    second = spender.post("/api/spawn", {"model": "k2p5", "task": "queued"}, format="json")
    first_id, second_id = first.json()["agent_id"], second.json()["agent_id"]

    # The worker runs the first; its ledger row crosses the limit and suspends the key in the
    # same transaction, so the worker's next claim already skips the key's waiting agent.
    assert run_waiting() == [first_id]
    cost = Agent.objects.get(pk=first_id).actual_cost
    assert cost > settings.J1MSKY_COST_SPIKE_LIMIT
    assert Agent.objects.get(pk=second_id).status == "spawning"

    refused = spender.post("/api/spawn", {"model": "k2p5", "task": "next"}, format="json")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["type"] == "key_suspended" and error["reason"] == "cost_spike"
    assert spender.get("/api/agents").status_code == 403  # every route
    assert Agent.objects.count() == 2

    row = AuditLog.objects.get(event="security.violation", api_key_id=spender.key.key_id)
    assert row.severity == "critical" and row.resource_id == spender.key.key_id
    assert row.details["reason"] == "cost_spike" and row.details["window_minutes"] == 60
    assert Decimal(str(row.details["spend"])) == cost
    assert Decimal(str(row.details["limit"])) == Decimal("0.0010")
    feed = watcher.get("/api/events", {"type": "security.key_suspended"}).json()["data"]
    assert [e["data"]["api_key_id"] for e in feed] == [spender.key.key_id]
    assert ApiKey.objects.get(pk=spender.key.pk).status == "suspended"

    # The reaper ends the waiting agent and gives its money back.
    agents_reap()
    ended = Agent.objects.get(pk=second_id)
    assert (ended.status, ended.error_type) == ("failed", "key_suspended")
    assert Reservation.objects.get(pk=ended.reservation_id).state == "released"


def test_the_suspension_commits_with_the_ledger_row_or_not_at_all(make_client, settings):
    settings.J1MSKY_COST_SPIKE_LIMIT = Decimal("1.00")
    key = make_client().key
    with pytest.raises(RuntimeError), transaction.atomic():
        spend(key, 20_000)  # 1.50
        assert suspended(key)
        raise RuntimeError("the recording rolls back")
    assert not suspended(key)
    assert not AuditLog.objects.filter(event="security.violation").exists()


def test_only_the_trailing_hour_counts(make_client, settings):
    settings.J1MSKY_COST_SPIKE_LIMIT = Decimal("1.00")
    key = make_client().key
    spend(key, 12_000, at=timezone.now() - timedelta(minutes=61))  # 0.90, too old
    spend(key, 2_000)  # 0.15
    assert not suspended(key)
    spend(key, 10_000)  # 0.75 → 0.90 in the hour: not more than the limit
    assert not suspended(key)
    spend(key, 2_000)  # 1.05
    assert suspended(key)
    spend(key, 2_000)
    assert AuditLog.objects.filter(event="security.violation").count() == 1  # once


def test_another_keys_spend_does_not_count(make_client, settings):
    settings.J1MSKY_COST_SPIKE_LIMIT = Decimal("1.00")
    owner_key = make_client().key
    other = make_client(user=owner_key.owner).key
    spend(owner_key, 10_000)
    spend(other, 10_000)
    assert not suspended(owner_key) and not suspended(other)


@pytest.fixture
def superuser(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def reinstate(client, key: ApiKey) -> int:
    response = client.post(
        "/admin/security/apikey/",
        {"action": "reinstate_keys", "_selected_action": [key.pk], "index": 0},
    )
    return response.status_code


def test_an_admin_reinstates_and_earlier_spend_no_longer_counts(
    make_client, superuser, django_user_model, settings
):
    settings.J1MSKY_COST_SPIKE_LIMIT = Decimal("1.00")
    client = make_client(["agents:read", "agents:write"])
    spend(client.key, 20_000)
    assert suspended(client.key)

    viewer = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_apikey"]))
    from django.test import Client

    looker = Client()
    looker.force_login(viewer)
    assert reinstate(looker, client.key) == 403
    assert suspended(client.key)

    assert reinstate(superuser, client.key) == 302
    assert not suspended(client.key)
    assert client.get("/api/agents").status_code == 200
    row = AuditLog.objects.get(event="api.key.reinstated")
    assert row.actor == "admin:root" and row.details["suspended_for"] == "cost_spike"
    feed = client.get("/api/events", {"type": "security.key_reinstated"}).json()["data"]
    assert feed[0]["data"]["by"] == "admin:root"

    spend(client.key, 10_000)  # 0.75 since the reinstatement; 2.25 within the hour
    assert not suspended(client.key)
    spend(client.key, 4_000)  # 1.05 since the reinstatement
    assert suspended(client.key)

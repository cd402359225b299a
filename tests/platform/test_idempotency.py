"""Idempotency-Key (semantics §4), including 50 concurrent requests across server processes."""

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from agents.models import Agent
from j1msky.models import IdempotencyRecord
from security.models import ApiKey
from tests.content import agents_with_task
from tests.processes import gunicorn_server

pytestmark = pytest.mark.django_db


def _post(client, key, payload, path="/api/keys"):
    return client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _spawn(client, key, payload, path="/api/spawn"):
    return client.post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_same_payload_replays_the_stored_answer(admin_client):
    first = _spawn(admin_client, "k-1", {"task": "once", "model": "k2p5", "priority": "low"})
    second = _spawn(admin_client, "k-1", {"priority": "low", "model": "k2p5", "task": "once"})
    assert first.status_code == second.status_code == 201
    assert second["Idempotency-Replayed"] == "true"
    assert not first.has_header("Idempotency-Replayed")
    assert second.content == first.content
    assert len(agents_with_task("once")) == 1


def test_api_and_api_v1_paths_share_one_scope(admin_client):
    first = _spawn(admin_client, "k-v1", {"task": "versioned"}, path="/api/spawn")
    second = _spawn(admin_client, "k-v1", {"task": "versioned"}, path="/api/v1/spawn")
    assert second["Idempotency-Replayed"] == "true"
    assert second.content == first.content
    assert len(agents_with_task("versioned")) == 1


def test_a_new_keys_secret_is_not_stored_and_a_replay_shows_it_as_null(admin_client):
    payload = {"name": "secretive", "scopes": ["agents:read"]}
    first = _post(admin_client, "k-secret", payload)
    second = _post(admin_client, "k-secret", payload)
    assert first.status_code == second.status_code == 201
    created, replayed = first.json(), second.json()
    assert created["key"].startswith("dev_sk_") or "_sk_" in created["key"]
    assert replayed["key"] is None
    assert {k: v for k, v in replayed.items() if k != "key"} == {
        k: v for k, v in created.items() if k != "key"
    }
    assert ApiKey.objects.filter(name="secretive").count() == 1

    rotated = admin_client.post(
        f"/api/keys/{created['key_id']}/rotate",
        {"grace_hours": 1},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-rotate",
    )
    assert rotated.status_code == 201 and "_sk_" in rotated.json()["key"]
    stored = b"".join(
        bytes(body or b"")
        for body in IdempotencyRecord.objects.values_list("response_body", flat=True)
    )
    assert created["key"].encode() not in stored
    assert rotated.json()["key"].encode() not in stored


def test_a_429_is_not_stored_and_the_key_can_be_retried(make_client, settings):
    settings.J1MSKY_MAX_WAITING_AGENTS_PER_KEY = 1
    client = make_client(["agents:read", "agents:write"])
    assert _spawn(client, "k-first", {"task": "holds the only slot"}).status_code == 201
    refused = _spawn(client, "k-429", {"task": "waits its turn"})
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "concurrency_limited"
    assert not IdempotencyRecord.objects.filter(key="k-429").exists()

    (holder,) = agents_with_task("holds the only slot")
    assert client.delete(f"/api/agent/{holder.agent_id}").status_code == 200
    again = _spawn(client, "k-429", {"task": "waits its turn"})
    assert again.status_code == 201 and not again.has_header("Idempotency-Replayed")


def test_same_key_different_payload_is_409_mismatch(admin_client):
    _post(admin_client, "k-2", {"name": "a", "scopes": ["agents:read"]})
    response = _post(admin_client, "k-2", {"name": "b", "scopes": ["agents:read"]})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["type"] == "idempotency_key_mismatch"
    assert error["message"] == "Idempotency key payload mismatch"
    assert not ApiKey.objects.filter(name="b").exists()


def test_a_stored_4xx_is_replayed_too(admin_client):
    first = _post(admin_client, "k-3", {"name": "", "scopes": ["agents:read"]})
    again = _post(admin_client, "k-3", {"name": "", "scopes": ["agents:read"]})
    assert first.status_code == again.status_code == 400
    assert again["Idempotency-Replayed"] == "true"


def test_5xx_is_not_stored_and_the_key_can_be_retried(admin_client, monkeypatch):
    from security.api.views import keys as views

    real = views.api_key_create

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(views, "api_key_create", broken)
    assert _post(admin_client, "k-4", {"name": "r", "scopes": ["agents:read"]}).status_code == 500
    assert not IdempotencyRecord.objects.filter(key="k-4").exists()
    monkeypatch.setattr(views, "api_key_create", real)
    assert _post(admin_client, "k-4", {"name": "r", "scopes": ["agents:read"]}).status_code == 201


def test_scope_is_owner_method_path_and_key(admin_client, make_client):
    other_owner = make_client(["admin:write", "agents:read"])
    a = _post(admin_client, "shared", {"name": "mine", "scopes": ["agents:read"]})
    b = _post(other_owner, "shared", {"name": "theirs", "scopes": ["agents:read"]})
    assert a.status_code == b.status_code == 201
    assert not b.has_header("Idempotency-Replayed")


def test_a_too_long_key_is_400(admin_client):
    response = _post(admin_client, "x" * 256, {"name": "n", "scopes": ["agents:read"]})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_idempotency_key"


def test_a_running_request_makes_the_key_in_use(admin_client):
    from django.utils import timezone

    IdempotencyRecord.objects.create(
        owner=admin_client.user,
        method="POST",
        path="/api/keys",
        path_hash=IdempotencyRecord.hash_path("/api/keys"),
        key="busy",
        fingerprint=_fingerprint({"name": "n", "scopes": ["agents:read"]}),
        expires_at=timezone.now() + timezone.timedelta(hours=1),
    )
    response = _post(admin_client, "busy", {"name": "n", "scopes": ["agents:read"]})
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"


def _fingerprint(payload):
    from j1msky.idempotency import fingerprint

    return fingerprint(body=payload, query="")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_50_concurrent_posts_with_one_key_have_exactly_one_effect(make_client):
    client = make_client(["agents:write"])
    payload = json.dumps({"task": "raced", "model": "k2p5"})
    headers = {
        "Authorization": f"Bearer {client.secret}",
        "Idempotency-Key": "race-1",
        "Content-Type": "application/json",
    }
    with (
        gunicorn_server(workers=2, threads=8) as base,
        httpx.Client(base_url=base, timeout=60) as http,
        ThreadPoolExecutor(max_workers=50) as pool,
    ):
        responses = list(
            pool.map(lambda _: http.post("/api/spawn", content=payload, headers=headers), range(50))
        )

    statuses = [r.status_code for r in responses]
    assert all(s < 500 for s in statuses), statuses
    created = [r for r in responses if r.status_code == 201]
    in_use = [r for r in responses if r.status_code == 409]
    assert len(created) + len(in_use) == 50
    assert all(r.json()["error"]["type"] == "idempotency_key_in_use" for r in in_use)
    originals = [r for r in created if r.headers.get("Idempotency-Replayed") != "true"]
    assert len(originals) == 1
    assert all(r.content == originals[0].content for r in created)
    assert len(agents_with_task("raced")) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_cancel_of_a_running_agent_answers_202_at_once_and_replays_as_such(make_client):
    """A cancel commits its flag and answers; the worker ends the run. A replay says the same."""
    import time

    from agents.services import agent_claim

    client = make_client(["agents:read", "agents:write"])
    agent_id = client.post("/api/spawn", {"task": "runs on a worker"}, format="json").json()[
        "agent_id"
    ]
    agent_claim(agent_id=agent_id, worker="elsewhere#1")  # a worker that never answers
    started = time.monotonic()
    first = client.delete(f"/api/agent/{agent_id}", HTTP_IDEMPOTENCY_KEY="c-1")
    assert time.monotonic() - started < 2
    assert first.status_code == 202
    assert (first.json()["status"], first.json()["message"]) == ("running", "Agent cancelling")
    assert Agent.objects.get(pk=agent_id).cancel_requested
    again = client.delete(f"/api/agent/{agent_id}", HTTP_IDEMPOTENCY_KEY="c-1")
    assert again.status_code == 202 and again["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()

"""Deliveries to real receivers on 127.0.0.1 (allowed by the two settings): signed per Standard
Webhooks and checked with the `standardwebhooks` library, retried with the same `webhook-id`,
logged attempt by attempt, disabled after `410` or the last retry."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from j1msky.models import Event
from security.models import AuditLog
from tests.fakeprovider import ok, status
from tests.webhooks.conftest import deliver, register
from tests.webhooks.receivers import Received, http_receiver, respond_with
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.schedule import MAX_ATTEMPTS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]


def verified(secret: str, request: Received) -> dict:
    """The payload, if the library accepts the request's signature with `secret`."""
    key = secret if secret.startswith("whsec_") else secret.encode()
    return Webhook(key).verify(request.body, request.headers)


def respond_in_turn(*statuses: int):
    """Answer each request with the next status; the last one repeats."""
    answers = list(statuses)

    def respond(handler: BaseHTTPRequestHandler) -> None:
        code = answers.pop(0) if len(answers) > 1 else answers[0]
        respond_with(code, f"status {code}".encode())(handler)

    return respond


def spawn(client, **body):
    body = {"task": "Write a haiku about queues", "model": "k2p5", **body}
    response = client.post("/api/spawn", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["agent_id"]


def test_agent_and_pricing_events_arrive_signed_and_verified(owner, live_providers, run_waiting):
    with http_receiver() as receiver:
        url = f"http://127.0.0.1:{receiver.port}/hooks"
        agent_hook = register(owner, url, ["agent.completed", "agent.failed"]).json()
        pricing_hook = register(
            owner,
            url + "/pricing",
            ["pricing.quote_generated"],
            kind="pricing",
            secret="your_webhook_secret",
        ).json()
        live_providers.enqueue(ok("def fibonacci(n): ..."), status(400))
        completed = spawn(owner)
        failed = spawn(owner, fallback=False)
        run_waiting()
        quote = owner.post("/api/pricing/quote", {"model": "k2p5"}, format="json").json()
        report = deliver()
    assert (report.delivered, report.failed) == (3, 0)
    by_event = {json.loads(r.body)["event"]: r for r in receiver.requests}
    assert set(by_event) == {"agent.completed", "agent.failed", "pricing.quote_generated"}

    done = verified(agent_hook["secret"], by_event["agent.completed"])
    assert set(done) == {"event", "timestamp", "webhook_id", "data"}
    assert done["webhook_id"] == agent_hook["webhook_id"]
    assert done["data"]["agent_id"] == completed
    assert done["data"]["result"] == "def fibonacci(n): ..."
    assert {"agent_id", "model", "task", "result", "cost"} <= set(done["data"])
    assert verified(agent_hook["secret"], by_event["agent.failed"])["data"]["agent_id"] == failed
    priced = verified("your_webhook_secret", by_event["pricing.quote_generated"])
    assert priced["data"]["quote_id"] == quote["quote_id"]
    assert priced["webhook_id"] == pricing_hook["webhook_id"]

    request = by_event["agent.completed"]
    event = Event.objects.get(type="agent.completed", agent_id=completed)
    assert request.headers["webhook-id"] == f"evt_{event.pk}"
    assert request.headers["content-type"] == "application/json"
    assert done["timestamp"] == event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 30


def test_a_tampered_body_or_a_timestamp_six_minutes_off_fails_verification(owner, clock):
    with http_receiver() as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/", ["agent.cancelled"]).json()
        Event.objects.create(type="agent.cancelled", owner=owner.user, data={"cost": 0.01})
        deliver()
        clock.advance(minutes=-6)  # an attempt signed six minutes ago, arriving now
        Event.objects.create(type="agent.cancelled", owner=owner.user, data={"cost": 0.01})
        deliver(clock)
    fresh, stale = receiver.requests
    assert verified(hook["secret"], fresh)["data"] == {"cost": 0.01}
    tampered = Received(
        fresh.method, fresh.path, fresh.headers, fresh.body.replace(b"0.01", b"0.02")
    )
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        verified(hook["secret"], tampered)
    moved = {**fresh.headers, "webhook-timestamp": str(int(time.time()) - 360)}
    with pytest.raises(WebhookVerificationError):
        verified(hook["secret"], Received(fresh.method, fresh.path, moved, fresh.body))
    with pytest.raises(WebhookVerificationError, match="too old"):
        verified(hook["secret"], stale)


def test_two_failures_then_success_send_one_webhook_id_three_times(owner, clock):
    with http_receiver(respond_in_turn(500, 500, 200)) as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/in").json()
        Event.objects.create(type="agent.completed", owner=owner.user, data={"agent_id": "a1"})
        deliver(clock)
        deliver(clock)  # the retry is not due yet: nothing is sent
        assert len(receiver.requests) == 1
        clock.advance(seconds=6)
        deliver(clock)
        clock.advance(minutes=6)
        deliver(clock)
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    verified(hook["secret"], receiver.requests[0])  # the others are signed in the clock's future
    assert len({r.body for r in receiver.requests}) == 1

    [delivery] = owner.get(f"/api/webhooks/{hook['webhook_id']}/deliveries").json()["data"]
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 3)
    assert delivery["message_id"] == ids.pop() and delivery["test"] is False
    attempts = delivery["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]
    assert [a["response_excerpt"] for a in attempts] == ["status 500", "status 500", "status 200"]
    assert attempts[0]["next_retry_at"] and attempts[1]["next_retry_at"]
    assert attempts[2]["next_retry_at"] is None
    assert all(a["duration_ms"] >= 0 and a["started_at"] for a in attempts)
    assert delivery["delivered_at"] and delivery["next_attempt_at"] is None


def test_410_disables_the_endpoint_audited_and_without_any_event(owner):
    with http_receiver(respond_with(410, b"gone")) as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/").json()
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        Event.objects.create(type="agent.failed", owner=owner.user, data={})
        events_before = Event.objects.count()
        deliver()
    endpoint = WebhookEndpoint.objects.get(webhook_id=hook["webhook_id"])
    assert endpoint.status == "disabled"
    assert endpoint.status_reason == "the endpoint answered 410 Gone"
    assert Event.objects.count() == events_before
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    audit = AuditLog.objects.get(event="webhook.disabled")
    assert (audit.actor, audit.resource_id, audit.severity) == (
        "system",
        endpoint.webhook_id,
        "warning",
    )
    assert audit.details["reason"] == "the endpoint answered 410 Gone"
    detail = owner.get(f"/api/webhooks/{hook['webhook_id']}").json()
    assert (detail["status"], detail["status_reason"]) == ("disabled", endpoint.status_reason)

    # Nothing new is created for a disabled endpoint; resuming lets new events through.
    Event.objects.create(type="agent.completed", owner=owner.user, data={})
    deliver()
    assert Delivery.objects.filter(status="pending").count() == 0
    assert owner.post(f"/api/webhooks/{hook['webhook_id']}/resume").json()["status"] == "active"


def test_the_last_failed_retry_disables_the_endpoint(owner, clock):
    with http_receiver(respond_with(503)) as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/").json()
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        for _ in range(MAX_ATTEMPTS):
            deliver(clock)
            clock.advance(hours=12)
        deliver(clock)
    assert len(receiver.requests) == MAX_ATTEMPTS == 8
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("failed", 8)
    endpoint = WebhookEndpoint.objects.get(webhook_id=hook["webhook_id"])
    assert endpoint.status == "disabled"
    assert endpoint.status_reason == "8 attempts in a row failed (last: HTTP 503)"
    assert AuditLog.objects.filter(event="webhook.disabled", actor="system").count() == 1


def test_a_paused_endpoint_holds_deliveries_until_it_resumes(owner):
    with http_receiver() as receiver:
        hook_id = register(owner, f"http://127.0.0.1:{receiver.port}/").json()["webhook_id"]
        owner.post(f"/api/webhooks/{hook_id}/pause")
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver()
        assert receiver.requests == []
        assert Delivery.objects.get().status == "pending"
        owner.post(f"/api/webhooks/{hook_id}/resume")
        deliver()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == "delivered"


def test_a_test_event_has_its_own_id_is_tried_once_and_logged(owner):
    with http_receiver(respond_with(410)) as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/").json()
        queued = owner.post(f"/api/webhooks/{hook['webhook_id']}/test", {}, format="json")
        assert queued.status_code == 202
        body = queued.json()
        assert body["success"] is True and body["message"] == "Test event queued"
        assert (body["event"], body["test"], body["status"]) == ("agent.completed", True, "pending")
        deliver()
    [request] = receiver.requests
    payload = verified(hook["secret"], request)
    assert payload["event"] == "agent.completed" and payload["data"]["test"] is True
    assert request.headers["webhook-id"] == body["message_id"]
    assert body["message_id"].startswith("evt_test_")
    logged = owner.get(f"/api/webhooks/deliveries/{body['delivery_id']}").json()
    assert (logged["status"], logged["attempts"][0]["status_code"]) == ("failed", 410)
    # A test never disables the endpoint, even when it answers 410.
    assert WebhookEndpoint.objects.get().status == "active"


def test_a_test_event_must_be_a_type_of_the_endpoints_kind(owner):
    hook_id = register(owner, "https://8.8.8.8/").json()["webhook_id"]
    refused = owner.post(
        f"/api/webhooks/{hook_id}/test", {"event": "pricing.quote_generated"}, format="json"
    )
    assert refused.status_code == 400
    assert not Delivery.objects.exists()


def test_replay_sends_the_same_message_again(owner, admin_of):
    with http_receiver() as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/").json()
        Event.objects.create(type="agent.completed", owner=owner.user, data={"n": 1})
        deliver()
        delivery = Delivery.objects.get()
        assert (
            admin_of().post(f"/api/webhooks/deliveries/{delivery.delivery_id}/replay").status_code
            == 404
        )
        replayed = owner.post(f"/api/webhooks/deliveries/{delivery.delivery_id}/replay")
        assert replayed.status_code == 202
        assert (replayed.json()["status"], replayed.json()["message"]) == (
            "pending",
            "Delivery queued",
        )
        deliver()
    first, again = receiver.requests
    assert first.body == again.body
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    verified(hook["secret"], again)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("delivered", 2)


def test_replay_of_a_disabled_endpoints_delivery_is_409(owner):
    with http_receiver(respond_with(410)) as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/")
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver()
    delivery = Delivery.objects.get()
    refused = owner.post(f"/api/webhooks/deliveries/{delivery.delivery_id}/replay")
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "webhook_disabled"


def test_during_a_rotation_both_secrets_verify(owner):
    with http_receiver() as receiver:
        hook = register(owner, f"http://127.0.0.1:{receiver.port}/").json()
        rotated = owner.post(
            f"/api/webhooks/{hook['webhook_id']}/rotate-secret", {}, format="json"
        ).json()
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver()
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verified(hook["secret"], request)
    verified(rotated["secret"], request)


def test_an_endpoint_gets_no_event_from_before_it_existed(owner):
    Event.objects.create(type="agent.completed", owner=owner.user, data={"old": True})
    with http_receiver() as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/")
        Event.objects.create(type="agent.completed", owner=owner.user, data={"old": False})
        deliver()
    [request] = receiver.requests
    assert json.loads(request.body)["data"] == {"old": False}


def test_events_reach_their_owners_endpoints_and_shared_ones_reach_all(owner, admin_of):
    other = admin_of()
    with http_receiver() as mine, http_receiver() as theirs:
        for client, receiver in ((owner, mine), (other, theirs)):
            register(
                client,
                f"http://127.0.0.1:{receiver.port}/",
                ["pricing.quote_generated", "pricing.policy_changed", "pricing.budget_warning"],
                kind="pricing",
            )
        Event.objects.create(type="pricing.quote_generated", owner=owner.user, data={})
        Event.objects.create(type="pricing.policy_changed", owner=other.user, data={})
        Event.objects.create(type="pricing.budget_warning", owner=None, data={})
        deliver()
    got = {
        name: sorted(json.loads(r.body)["event"] for r in rx.requests)
        for name, rx in (("mine", mine), ("theirs", theirs))
    }
    assert got == {
        "mine": ["pricing.budget_warning", "pricing.policy_changed", "pricing.quote_generated"],
        "theirs": ["pricing.budget_warning", "pricing.policy_changed"],
    }


def test_the_response_read_is_bounded(owner):
    with http_receiver(respond_with(500, b"x" * 1_000_000)) as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/")
        Event.objects.create(type="agent.completed", owner=owner.user, data={})
        deliver()
    attempt = Delivery.objects.get().attempts.get()
    assert attempt.status_code == 500 and len(attempt.response_excerpt) == 1024

"""The webhook endpoints API (semantics §11, §3): both kinds' routes, secrets shown once and
sealed at rest, known events only, the owner's resources only, every change audited."""

from __future__ import annotations

import pytest
from django.db import connection

from j1msky.api.permissions import SCOPES
from security.models import AuditLog
from tests.webhooks.conftest import register
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://8.8.8.8/hooks/in"  # a public address: no lookup needed


def test_register_returns_the_generated_secret_once_and_seals_it_at_rest(owner):
    response = register(owner, URL, ["agent.completed", "agent.failed", "agent.completed"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["success"] is True and body["message"] == "Webhook registered"
    assert body["webhook_id"].startswith("wh_")
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["agent.completed", "agent.failed"]
    assert (body["url"], body["status"]) == (URL, "active")

    detail = owner.get(f"/api/webhooks/{body['webhook_id']}").json()
    listed = owner.get("/api/webhooks").json()["data"]
    assert "secret" not in detail and all("secret" not in w for w in listed)
    assert [w["webhook_id"] for w in listed] == [body["webhook_id"]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhookendpoint")
        [(stored,)] = cursor.fetchall()
    assert stored.startswith("j1e1:") and body["secret"] not in stored
    assert WebhookEndpoint.objects.get().secret == body["secret"]


def test_a_given_secret_is_kept_and_a_weak_one_refused(owner):
    kept = register(owner, URL, secret="your_webhook_secret").json()
    assert kept["secret"] == "your_webhook_secret"
    assert WebhookEndpoint.objects.get(webhook_id=kept["webhook_id"]).secret == kept["secret"]
    for weak in ("short", "whsec_not base64!", ""):
        response = register(owner, URL, secret=weak)
        assert response.status_code == 400, weak
        assert "secret" in response.json()["error"]["details"]


def test_an_idempotent_replay_does_not_show_the_secret_again(owner):
    headers = {"HTTP_IDEMPOTENCY_KEY": "hook-1"}
    body = {"url": URL, "events": ["agent.completed"]}
    first = owner.post("/api/webhooks", body, format="json", **headers)
    again = owner.post("/api/webhooks", body, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotency-Replayed"] == "true"
    assert first.json()["secret"].startswith("whsec_") and again.json()["secret"] is None
    assert again.json()["webhook_id"] == first.json()["webhook_id"]
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "events", "unknown"),
    [
        ("agent", ["agent.completed", "agent.exploded"], "agent.exploded"),
        ("agent", ["pricing.quote_generated"], "pricing.quote_generated"),
        ("pricing", ["agent.completed"], "agent.completed"),
        ("pricing", ["pricing.nope"], "pricing.nope"),
    ],
)
def test_unknown_events_are_400_naming_the_allowed_ones(owner, kind, events, unknown):
    response = register(owner, URL, events, kind=kind)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert error["message"].startswith(f"Unknown event type: {unknown}. Allowed: ")
    allowed = error["message"].split("Allowed: ")[1].split(", ")
    assert ("pricing.quote_generated" in allowed) == (kind == "pricing")
    assert ("agent.completed" in allowed) == (kind == "agent")
    assert error["details"]["events"] == [f"Unknown event type: {unknown}"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [{"events": ["agent.completed"]}, {"url": URL}, {"url": URL, "events": []}, {"url": 5}],
)
def test_missing_or_malformed_fields_are_400(owner, body):
    response = owner.post("/api/webhooks", body, format="json")
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_form_bodies_take_events_as_a_comma_separated_string(owner):
    response = owner.post(
        "/api/webhooks", {"url": URL, "events": "agent.completed,agent.cancelled"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["events"] == ["agent.completed", "agent.cancelled"]


def test_pricing_webhooks_answer_in_the_reference_shapes(owner):
    events = ["pricing.quote_generated", "pricing.exception_created"]
    created = register(owner, URL, events, kind="pricing", secret="your_webhook_secret")
    assert created.status_code == 201
    body = created.json()
    assert body["webhook_id"].startswith("pricing_webhook_")
    assert body["message"] == "Pricing webhook registered"
    assert (body["url"], body["events"], body["success"]) == (URL, events, True)
    register(owner, URL)  # an agent webhook is not listed with the pricing ones

    listed = owner.get("/api/pricing/webhooks").json()
    assert listed["success"] is True and listed["count"] == 1
    [item] = listed["webhooks"]
    assert (item["webhook_id"], item["url"], item["events"]) == (body["webhook_id"], URL, events)
    assert item["created_at"].endswith("Z")

    webhook_id = body["webhook_id"]
    assert owner.get(f"/api/pricing/webhook/{webhook_id}").status_code == 200
    assert owner.get(f"/api/webhooks/{webhook_id}").status_code == 404  # not an agent webhook
    removed = owner.delete(f"/api/pricing/webhook/{webhook_id}")
    assert removed.json() == {
        "success": True,
        "message": f"Pricing webhook {webhook_id} removed",
    }
    assert owner.get("/api/pricing/webhooks").json()["count"] == 0


def test_another_owners_webhook_is_404_everywhere(owner, admin_of):
    webhook_id = register(owner, URL).json()["webhook_id"]
    stranger = admin_of()
    base = f"/api/webhooks/{webhook_id}"
    assert stranger.get(base).status_code == 404
    assert stranger.delete(base).status_code == 404
    for tail in ("/pause", "/resume", "/rotate-secret", "/test"):
        response = stranger.post(base + tail, {}, format="json")
        assert response.status_code == 404, tail
        assert response.json()["error"]["type"] == "webhook_not_found"
    assert stranger.get(base + "/deliveries").status_code == 404
    assert stranger.get("/api/webhooks").json()["data"] == []
    assert WebhookEndpoint.objects.get().status == "active"


def test_every_webhook_route_needs_admin_write(make_client, owner):
    webhook_id = register(owner, URL).json()["webhook_id"]
    others = make_client([s for s in SCOPES if s != "admin:write"], user=owner.user)
    for method, path in [
        ("GET", "/api/webhooks"),
        ("POST", "/api/webhooks"),
        ("GET", f"/api/webhooks/{webhook_id}"),
        ("DELETE", f"/api/webhooks/{webhook_id}"),
        ("POST", f"/api/webhooks/{webhook_id}/test"),
        ("GET", f"/api/webhooks/{webhook_id}/deliveries"),
        ("GET", "/api/pricing/webhooks"),
        ("POST", "/api/pricing/webhook"),
        ("POST", "/api/webhooks/deliveries/whd_x/replay"),
    ]:
        response = others.generic(method, path)
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["message"] == "Missing required scope: admin:write"


def test_pause_resume_and_rotate_are_audited(owner):
    created = register(owner, URL).json()
    webhook_id, first_secret = created["webhook_id"], created["secret"]
    base = f"/api/webhooks/{webhook_id}"
    assert owner.post(base + "/pause").json()["status"] == "paused"
    assert owner.post(base + "/pause").json()["status"] == "paused"  # already: no change
    assert owner.post(base + "/resume").json()["status"] == "active"

    rotated = owner.post(base + "/rotate-secret", {"grace_hours": 2}, format="json").json()
    assert rotated["success"] is True and rotated["webhook_id"] == webhook_id
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != first_secret
    assert rotated["previous_secret_expires_at"] is not None
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.secret, endpoint.previous_secret) == (rotated["secret"], first_secret)

    owner.delete(base)
    events = list(
        AuditLog.objects.filter(resource_id=webhook_id).order_by("id").values_list("event", "actor")
    )
    actor = f"key:{owner.key.key_id}"
    assert events == [
        ("webhook.created", actor),
        ("webhook.paused", actor),
        ("webhook.resumed", actor),
        ("webhook.secret_rotated", actor),
        ("webhook.deleted", actor),
    ]
    assert all(first_secret not in str(row.details) for row in AuditLog.objects.all())


def test_lists_filter_and_refuse_unknown_filters(owner):
    first = register(owner, URL).json()["webhook_id"]
    register(owner, "https://1.1.1.1/other")
    owner.post(f"/api/webhooks/{first}/pause")
    paused = owner.get("/api/webhooks?status=paused").json()["data"]
    assert [w["webhook_id"] for w in paused] == [first]
    assert owner.get("/api/webhooks?url_contains=1.1.1.1").json()["pagination"]["total"] == 1
    assert owner.get("/api/webhooks?secret=x").status_code == 400


def test_an_owner_may_hold_at_most_fifty_webhooks(owner):
    from webhooks.services.endpoints import MAX_ENDPOINTS_PER_OWNER

    for _ in range(MAX_ENDPOINTS_PER_OWNER):
        assert register(owner, URL).status_code == 201
    refused = register(owner, URL)
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "webhook_limit_reached"

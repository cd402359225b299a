"""`GET /metrics` serves the webhooks' deliveries by endpoint kind and status."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from j1msky.models import Event
from tests.webhooks.conftest import deliver, register
from tests.webhooks.receivers import http_receiver, respond_with


def _deliveries(client) -> dict[tuple[str, str], float]:
    text = client.get("/api/metrics").content.decode()
    return {
        (s.labels["kind"], s.labels["status"]): s.value
        for family in text_string_to_metric_families(text)
        if family.name == "j1msky_webhook_deliveries"
        for s in family.samples
    }


def test_deliveries_by_kind_and_status(owner, loopback_allowed):
    before = _deliveries(owner)
    assert before[("agent", "delivered")] == 0 and before[("pricing", "pending")] == 0
    with http_receiver() as ok, http_receiver(respond_with(410, b"gone")) as gone:
        register(owner, f"http://127.0.0.1:{ok.port}/", ["agent.cancelled"])
        register(owner, f"http://127.0.0.1:{gone.port}/", ["agent.cancelled"])
        Event.objects.create(type="agent.cancelled", owner=owner.user, data={"cost": 0.01})
        deliver()
    after = _deliveries(owner)
    assert after[("agent", "delivered")] == 1
    assert after[("agent", "failed")] == 1  # a 410 disables its endpoint; the delivery fails
    assert after[("pricing", "delivered")] == 0

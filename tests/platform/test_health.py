"""`GET /health` (semantics §9)."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from j1msky.models import WorkerHeartbeat
from j1msky.services import worker_heartbeat_record

pytestmark = pytest.mark.django_db


def test_healthy_with_a_live_worker_and_public(anon_client):
    worker_heartbeat_record(hostname="celery@test", pid=1)
    response = anon_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["models_configured"] == 5
    assert body["error_rate"] == 0.0
    assert set(body["checks"]) == {"database", "broker", "cache", "worker_heartbeat"}
    assert all(c["ok"] and c["latency_ms"] >= 0 for c in body["checks"].values())


def test_degraded_when_no_worker_heartbeat_is_recent(anon_client):
    WorkerHeartbeat.objects.create(
        hostname="celery@old", pid=1, last_seen=timezone.now() - timedelta(minutes=5)
    )
    body = anon_client.get("/api/health").json()
    assert body["status"] == "degraded"
    assert body["checks"]["worker_heartbeat"]["ok"] is False


def test_unhealthy_503_when_the_database_is_down(anon_client, monkeypatch):
    from j1msky import health

    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_database", down)
    response = anon_client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["database"] == {
        "ok": False,
        "latency_ms": body["checks"]["database"]["latency_ms"],
        "error": "OperationalError",
    }

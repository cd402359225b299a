"""The v3 endpoints past their sunset (semantics §13): 410 with the deprecation headers, or,
with J1MSKY_LEGACY_V3=serve, the v4 handlers behind them, reading `X-API-Key`."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import Agent

pytestmark = pytest.mark.django_db

SUNSET = "Mon, 01 Jun 2026 00:00:00 GMT"
CALLS = [
    ("POST", "/api/agent", "/api/v1/spawn"),
    ("GET", "/api/status?agent_id=subagent_1_0001", "/api/v1/agent/subagent_1_0001"),
    ("DELETE", "/api/cancel?agent_id=subagent_1_0001", "/api/v1/agent/subagent_1_0001"),
    ("GET", "/api/status", "/api/v1/agents"),
]


def deprecation_headers_ok(response, successor: str) -> None:
    assert response["Deprecation"] == "true"
    assert response["Sunset"] == SUNSET
    assert response["Link"] == f'<{successor}>; rel="successor-version"'


@pytest.mark.parametrize(("method", "path", "successor"), CALLS)
def test_each_v3_endpoint_is_gone_to_anyone(method, path, successor, make_client):
    for client in (APIClient(), make_client(["agents:read"])):
        client.credentials(HTTP_X_API_KEY="dev_sk_old")
        response = client.generic(
            method, path, data='{"task": "x"}', content_type="application/json"
        )
        assert response.status_code == 410
        error = response.json()["error"]
        assert error["type"] == "endpoint_sunset" and error["sunset"] == "2026-06-01"
        assert error["successor"] == f"{method} {successor}"
        assert successor in error["message"]
        deprecation_headers_ok(response, successor)
    assert not Agent.objects.exists()


def test_a_method_a_v3_route_never_served_is_still_405(make_client):
    response = make_client().put("/api/agent", {}, format="json")
    assert response.status_code == 405
    assert response["Deprecation"] == "true"


@pytest.fixture
def serve(settings):
    settings.J1MSKY_LEGACY_V3 = "serve"


def v3_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=secret)
    return client


def test_served_v3_maps_onto_v4_with_x_api_key(serve, make_client):
    key = make_client(["agents:read", "agents:write"])
    v3 = v3_client(key.secret)
    spawned = v3.post("/api/agent", {"model": "k2p5", "task": "old client"}, format="json")
    assert spawned.status_code == 201, spawned.content
    deprecation_headers_ok(spawned, "/api/v1/spawn")
    agent_id = spawned.json()["agent_id"]
    assert spawned.json()["status"] == "spawning"
    assert int(spawned["X-RateLimit-Limit"]) == 100  # counted as a spawn

    status = v3.get("/api/status", {"agent_id": agent_id})
    assert status.status_code == 200
    assert status.json()["task"] == "old client" and status.json()["agent_id"] == agent_id
    deprecation_headers_ok(status, f"/api/v1/agent/{agent_id}")

    cancelled = v3.delete(f"/api/cancel?agent_id={agent_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    deprecation_headers_ok(cancelled, f"/api/v1/agent/{agent_id}")
    by_body = v3.delete("/api/cancel", {"agent_id": agent_id}, format="json")
    assert by_body.status_code == 409  # already cancelled: the v4 answer
    # a Bearer key works too
    assert key.get("/api/status", {"agent_id": agent_id}).status_code == 200


def test_served_v3_keeps_v4_scopes_and_errors(serve, make_client):
    reader = v3_client(make_client(["agents:read"]).secret)
    refused = reader.post("/api/agent", {"task": "x"}, format="json")
    assert refused.status_code == 403 and refused["Sunset"] == SUNSET
    assert reader.get("/api/status").status_code == 400  # which agent?
    assert reader.get("/api/status", {"agent_id": "subagent_0_0000"}).status_code == 404
    assert APIClient().get("/api/status", {"agent_id": "x"}).status_code == 401
    wrong = v3_client("dev_sk_wrong").get("/api/status", {"agent_id": "x"})
    assert wrong.status_code == 401 and wrong["Deprecation"] == "true"
    empty = v3_client(make_client().secret).post("/api/agent", {"task": " "}, format="json")
    assert empty.json()["error"]["message"] == "Task cannot be empty"

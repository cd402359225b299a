"""`GET /system` (semantics §9): this host's numbers, the agents waiting or running, the admin
scope and its own rate class (60 an hour)."""

from __future__ import annotations

import re

import psutil
import pytest

from agents.models import Agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(make_client):
    return make_client(["admin:write"])


def test_the_reference_fields_from_this_host(operator):
    response = operator.get("/api/system")
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == [
        "cpu_temp",
        "load_average",
        "memory_usage",
        "uptime",
        "disk_free",
        "active_agents",
    ]
    assert body["cpu_temp"] is None or isinstance(body["cpu_temp"], float)
    assert abs(body["load_average"] - psutil.getloadavg()[0]) < 2
    assert 0 < body["memory_usage"] <= 100
    assert re.fullmatch(r"\d+h \d{1,2}m", body["uptime"])
    assert re.fullmatch(r"\d+(\.\d)?[BKMGTP]", body["disk_free"])
    assert body["active_agents"] == 0


def test_active_agents_counts_every_owners_waiting_and_running_agents(operator, make_client):
    writer = make_client(["agents:write"])
    ids = [
        writer.post("/api/spawn", {"task": f"t{i}"}, format="json").json()["agent_id"]
        for i in range(4)
    ]
    Agent.objects.filter(pk=ids[0]).update(status="running")
    Agent.objects.filter(pk=ids[1]).update(status="completed")
    assert writer.delete(f"/api/agent/{ids[2]}").status_code == 200
    assert operator.get("/api/system").json()["active_agents"] == 2  # one running, one waiting


def test_system_is_admin_scoped_and_has_its_own_rate_class(make_client, settings):
    assert make_client(["agents:read"]).get("/api/system").status_code == 403
    settings.J1MSKY_RATE_LIMITS = {**settings.J1MSKY_RATE_LIMITS, "system": 2}
    operator = make_client(["admin:write"])
    first = operator.get("/api/system")
    assert first["X-RateLimit-Limit"] == "2"
    assert operator.get("/api/system").status_code == 200
    refused = operator.get("/api/system")
    assert refused.status_code == 429
    # The other routes of the key keep their own (default) class.
    assert operator.get("/api/keys")["X-RateLimit-Limit"] == "1000"

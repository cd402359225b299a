"""The audit log (semantics §12.5): its configuration, the entries every listed event writes in
the reference's shape, secrets never stored, the list, append-only, retention."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agents.models import Agent
from agents.services import agent_finish
from security.models import AuditLog, AuditSetting
from security.tasks import audit_retention_purge_task

pytestmark = pytest.mark.django_db

UA = "j1msky-sdk/1.0.0"


def configure(client, **fields):
    return client.post("/api/security/audit", fields, format="json")


def entries(client, **params):
    response = client.get("/api/security/audit/logs", params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_the_configuration_reads_back_and_changes_only_what_is_sent(admin_client):
    default = admin_client.get("/api/security/audit").json()
    assert default["enabled"] is True and default["log_level"] == "standard"
    assert default["retention_days"] == 90
    assert default["include_request_body"] is default["include_response_body"] is False
    assert set(default["events"]) >= {
        "agent.spawn",
        "agent.complete",
        "agent.fail",
        "api.key.used",
        "config.change",
        "security.violation",
    }
    reference = {
        "enabled": True,
        "log_level": "verbose",
        "retention_days": 90,
        "include_request_body": False,
        "include_response_body": False,
        "events": [
            "agent.spawn",
            "agent.complete",
            "agent.fail",
            "api.key.used",
            "config.change",
            "security.violation",
        ],
    }
    changed = configure(admin_client, **reference)
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in reference} == reference
    assert changed.json()["updated_by"] == f"key:{admin_client.key.key_id}"
    assert configure(admin_client, retention_days=7).json()["log_level"] == "verbose"
    row = AuditLog.objects.filter(resource_type="audit_config").first()
    assert row.event == "config.change" and row.details["changes"] == {"retention_days": [90, 7]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"log_level": "chatty"}, "log_level"),
        ({"retention_days": 0}, "retention_days"),
        ({"events": ["agent.spawn", "agent.explode"]}, "events"),
        ({"enabled": "maybe"}, "enabled"),
    ],
)
def test_bad_configuration_is_400_and_changes_nothing(admin_client, body, field):
    response = configure(admin_client, **body)
    assert response.status_code == 400
    assert any(name.startswith(field) for name in response.json()["error"]["details"])
    assert not AuditSetting.objects.exists()


def test_only_a_staff_owners_key_changes_the_configuration(make_client):
    owner = make_client(["admin:write"])
    assert configure(owner, enabled=False).json()["error"]["type"] == "insufficient_privileges"
    assert owner.get("/api/security/audit").status_code == 200
    assert not AuditSetting.objects.exists()


def test_a_spawn_is_recorded_in_the_references_entry_shape(make_client, admin_client):
    writer = make_client(["agents:write", "agents:read", "admin:write"])
    spawned = writer.post(
        "/api/spawn",
        {"model": "k2p5", "task": "Generate report for the quarter, then mail ops@example.com"},
        format="json",
        HTTP_USER_AGENT=UA,
        HTTP_X_REQUEST_ID="req_xyz789",
    ).json()
    (entry,) = entries(writer, event="agent.spawn")
    assert entry["timestamp"].endswith("Z") or "+00:00" in entry["timestamp"]
    assert entry["event"] == "agent.spawn" and entry["severity"] == "info"
    assert entry["api_key_id"] == writer.key.key_id
    assert entry["ip_address"] == "127.0.0.1" and entry["user_agent"] == UA
    assert entry["request_id"] == "req_xyz789"
    assert entry["resource"] == {"type": "agent", "id": spawned["agent_id"]}
    assert entry["details"]["model"] == "k2p5"
    assert entry["details"]["estimated_cost"] == spawned["estimated_cost"]
    # the preview quotes the task, with its PII masked
    assert entry["details"]["task_preview"].startswith("Generate report for the quarter")
    assert "ops@example.com" not in str(entry)
    # a staff owner's key reads every owner's entries; another owner's key only its own
    assert spawned["agent_id"] in {
        e["resource"]["id"] for e in entries(admin_client, event="agent.spawn") if e["resource"]
    }
    assert entries(make_client(["admin:write"]), event="agent.spawn") == []


def test_runs_that_end_are_recorded(make_client, run_waiting, admin_client):
    writer = make_client()
    ok = writer.post("/api/spawn", {"task": "fine"}, format="json").json()["agent_id"]
    run_waiting()
    (complete,) = entries(admin_client, event="agent.complete")
    assert complete["resource"]["id"] == ok and "cost" in complete["details"]
    assert complete["api_key_id"] == writer.key.key_id
    doomed = writer.post("/api/spawn", {"task": "lost"}, format="json").json()["agent_id"]
    agent_finish(
        agent=Agent.objects.get(pk=doomed),
        status="failed",
        error_type="worker_lost",
        error_message="Worker w#1 stopped during the run",
        from_status="spawning",
    )
    (fail,) = entries(admin_client, event="agent.fail")
    assert fail["resource"]["id"] == doomed and fail["details"]["error_type"] == "worker_lost"


def test_key_lifecycle_and_config_changes_are_recorded(admin_client):
    created = admin_client.post("/api/keys", {"name": "k", "scopes": ["agents:read"]}).json()
    admin_client.post(f"/api/keys/{created['key_id']}/rotate", {}, format="json")
    admin_client.delete(f"/api/keys/{created['key_id']}", {"reason": "leak"}, format="json")
    admin_client.put("/api/billing/budget", {"daily_budget": "75.00"}, format="json")
    events = {e["event"] for e in entries(admin_client)}
    assert events >= {"api.key.created", "api.key.rotated", "api.key.revoked", "config.change"}
    (revoked,) = entries(admin_client, event="api.key.revoked")
    assert revoked["severity"] == "warning" and revoked["details"]["reason"] == "leak"


def test_api_key_used_once_a_minute_at_standard_and_every_request_at_verbose(admin_client):
    reader = admin_client
    for _ in range(3):
        reader.get("/api/agents")
    used = entries(reader, event="api.key.used")
    assert len(used) == 1 and used[0]["details"]["path"] in ("/api/agents", "/api/security/audit")
    configure(reader, log_level="verbose")
    before = AuditLog.objects.filter(event="api.key.used").count()
    for _ in range(3):
        reader.get("/api/agents?limit=5")
    rows = AuditLog.objects.filter(event="api.key.used").order_by("id")[before:]
    assert [(r.details["method"], r.details["path"], r.details["status"]) for r in rows][:3] == [
        ("GET", "/api/agents", 200)
    ] * 3


def test_bodies_are_kept_at_verbose_with_secrets_redacted_and_pii_masked(admin_client):
    configure(admin_client, log_level="verbose", include_request_body=True)
    configure(admin_client, include_response_body=True)
    created = admin_client.post(
        "/api/keys",
        {"name": "for jane@example.com", "scopes": ["agents:read"], "signing_secret": True},
        format="json",
    ).json()
    spawn = admin_client.post(
        "/api/spawn", {"task": "Card 4111 1111 1111 1111 please"}, format="json"
    )
    assert spawn.status_code == 201
    rows = list(AuditLog.objects.filter(event="api.key.used", details__isnull=False))
    key_row = next(r for r in rows if r.details["path"] == "/api/keys")
    assert key_row.details["request_body"]["name"] == "for [email]"
    assert key_row.details["response_body"]["key"] == "[redacted]"
    assert key_row.details["response_body"]["signing_secret"] == "[redacted]"
    spawn_row = next(r for r in rows if r.details["path"] == "/api/spawn")
    assert spawn_row.details["request_body"]["task"] == "Card [card_number] please"
    dump = raw_audit_table()
    for secret in (created["key"], created["signing_secret"], "4111 1111 1111 1111"):
        assert secret not in dump
    assert "jane@example.com" not in dump


def raw_audit_table() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuditLog._meta.db_table}")
        return repr(cursor.fetchall())


def test_details_are_sealed_at_rest(admin_client):
    admin_client.post("/api/spawn", {"task": "Quarterly numbers for ACME"}, format="json")
    dump = raw_audit_table()
    assert "Quarterly numbers" not in dump and "j1e1:" in dump


def test_minimal_keeps_violations_and_changes_and_disabled_keeps_only_its_own_change(
    admin_client, make_client, settings
):
    configure(admin_client, log_level="minimal")
    writer = make_client()
    writer.post("/api/spawn", {"task": "quiet"}, format="json")
    assert not AuditLog.objects.filter(event="agent.spawn").exists()
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 2
    guesser = APIClient()
    guesser.credentials(HTTP_AUTHORIZATION="Bearer dev_sk_nope")
    ip = f"10.4.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    for _ in range(2):
        assert guesser.get("/api/agents", REMOTE_ADDR=ip).status_code == 401
    assert AuditLog.objects.filter(event="security.violation", ip_address=ip).exists()
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 10**9

    configure(admin_client, enabled=False)
    count = AuditLog.objects.count()
    admin_client.post("/api/keys", {"name": "unrecorded", "scopes": ["agents:read"]})
    writer.post("/api/spawn", {"task": "quiet"}, format="json")
    assert AuditLog.objects.count() == count
    configure(admin_client, enabled=True)
    assert AuditLog.objects.count() == count + 1  # the change that turned it back on


def test_an_event_left_out_of_the_configuration_is_not_recorded(admin_client, make_client):
    configure(admin_client, events=["config.change", "security.violation"])
    make_client().post("/api/spawn", {"task": "unlisted"}, format="json")
    assert not AuditLog.objects.filter(event__in=["agent.spawn", "api.key.used"]).exists()


def test_the_list_filters_sorts_and_pages(admin_client):
    for name in ("a", "b", "c"):
        admin_client.post("/api/keys", {"name": name, "scopes": ["agents:read"]})
    created = entries(admin_client, event="api.key.created", sort="timestamp")
    assert [e["details"]["name"] for e in created][-3:] == ["a", "b", "c"]
    page = admin_client.get("/api/security/audit/logs", {"limit": 2, "cursor": ""}).json()
    assert len(page["data"]) == 2 and page["pagination"]["has_more"] is True
    after = (timezone.now() - timedelta(minutes=1)).isoformat()
    assert entries(admin_client, event_in="api.key.created,config.change", after=after)
    assert entries(admin_client, ip_address="127.0.0.1", severity="info")
    bad = admin_client.get("/api/security/audit/logs", {"ip_address": "not-an-ip"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_filter"
    unknown = admin_client.get("/api/security/audit/logs", {"details": "x"})
    assert unknown.status_code == 400


def test_the_log_is_append_only_from_the_api(admin_client):
    admin_client.post("/api/keys", {"name": "x", "scopes": ["agents:read"]})
    before = AuditLog.objects.count()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = admin_client.generic(method, "/api/security/audit/logs")
        assert response.status_code == 405
    assert admin_client.get("/api/security/audit/logs/1").status_code == 404
    assert AuditLog.objects.count() >= before


def test_rows_past_the_retention_are_purged_by_the_beat(admin_client):
    configure(admin_client, retention_days=30)
    old = AuditLog.objects.create(event="config.change", details={"note": "old"})
    AuditLog.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=31))
    keep = AuditLog.objects.create(event="config.change", details={"note": "recent"})
    AuditLog.objects.filter(pk=keep.pk).update(timestamp=timezone.now() - timedelta(days=29))
    assert audit_retention_purge_task() == 1
    assert not AuditLog.objects.filter(pk=old.pk).exists()
    assert AuditLog.objects.filter(pk=keep.pk).exists()


def test_events_default_to_every_registered_one_and_can_return_to_it(admin_client):
    body = admin_client.get("/api/security/audit").json()
    assert body["events"] == body["known_events"]
    assert {"agent.spawn", "admin.action", "webhook.created", "privacy.export"} <= set(
        body["known_events"]
    )
    assert configure(admin_client, events=["agent.spawn"]).json()["events"] == ["agent.spawn"]
    again = configure(admin_client, events=None).json()
    assert again["events"] == again["known_events"]


def test_minimal_keeps_webhook_changes(admin_client, settings):
    settings.J1MSKY_WEBHOOK_ALLOW_HTTP = True
    settings.J1MSKY_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    configure(admin_client, log_level="minimal")
    created = admin_client.post(
        "/api/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["agent.completed"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert AuditLog.objects.filter(event="webhook.created").exists()

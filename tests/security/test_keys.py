"""API keys: create, list, read, revoke, rotate; authentication outcomes (semantics §3, §12.1)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from security.models import ApiKey, AuditLog

pytestmark = pytest.mark.django_db


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_created_key_is_shown_once_and_works_with_its_scopes(admin_client):
    created = admin_client.post(
        "/api/keys", {"name": "ci", "scopes": ["admin:write"]}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    secret = body["key"]
    assert secret.startswith("dev_sk_") and len(secret) > 40
    assert body["key_id"].startswith("key_")
    assert body["status"] == "active"

    listed = admin_client.get("/api/keys").json()["data"]
    assert {k["key_id"] for k in listed} >= {body["key_id"]}
    assert all("key" not in k for k in listed)
    assert secret not in str(listed)

    detail = bearer(secret).get(f"/api/keys/{body['key_id']}")
    assert detail.status_code == 200
    assert detail.json()["last_used_ip"] == "127.0.0.1"
    assert detail.json()["last_used_at"] is not None


def test_a_key_cannot_grant_scopes_it_does_not_hold(make_client):
    client = make_client(["admin:write"])
    response = client.post("/api/keys", {"name": "x", "scopes": "admin:write,agents:write"})
    assert response.status_code == 403
    assert "agents:write" in response.json()["error"]["message"]
    assert ApiKey.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "scopes": "agents:read,root"}, "scopes"),
        ({"name": "x", "scopes": ""}, "scopes"),
        ({"name": "", "scopes": "agents:read"}, "name"),
        ({"name": "x" * 101, "scopes": "agents:read"}, "name"),
        (
            {"name": "x", "scopes": "agents:read", "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
        ),
        ({"name": "x", "scopes": "agents:read", "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "x", "scopes": "agents:read", "daily_budget": "-1"}, "daily_budget"),
        (
            {"name": "x", "scopes": "agents:read", "max_concurrent_agents": "abc"},
            "max_concurrent_agents",
        ),
    ],
)
def test_bad_key_input_is_400_naming_the_field(admin_client, payload, field):
    before = ApiKey.objects.count()
    response = admin_client.post("/api/keys", payload)
    assert response.status_code == 400
    paths = response.json()["error"]["details"]
    # Fields are named by path: `scopes[1]` for the second scope of the list.
    assert any(path == field or path.startswith((f"{field}[", f"{field}.")) for path in paths)
    assert ApiKey.objects.count() == before


def test_missing_scope_is_403_and_missing_key_401(make_client, anon_client):
    reader = make_client(["agents:read"])
    denied = reader.get("/api/keys")
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "Missing required scope: admin:write"
    missing = anon_client.get("/api/keys")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert bearer("dev_sk_unknown").get("/api/keys").status_code == 401
    malformed = APIClient()
    malformed.credentials(HTTP_AUTHORIZATION="Token abc")
    assert malformed.get("/api/keys").status_code == 401


def test_revoked_key_is_401_at_once_and_revoking_twice_is_409(
    admin_client, make_client, mailoutbox, django_capture_on_commit_callbacks
):
    victim = make_client(["agents:read", "admin:write"], user=admin_client.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.delete(
            f"/api/keys/{victim.key.key_id}",
            {"reason": "suspected_leak", "notify_user": True},
            format="json",
        )
    assert response.status_code == 200
    assert response.json()["success"] is True
    rejected = victim.get("/api/keys")
    assert rejected.status_code == 401
    assert rejected.json()["error"]["message"] == "API key revoked"
    again = admin_client.delete(f"/api/keys/{victim.key.key_id}")
    assert again.status_code == 409
    assert AuditLog.objects.filter(event="api.key.revoked", resource_id=victim.key.key_id).exists()
    assert len(mailoutbox) == 1 and "suspected_leak" in mailoutbox[0].body


def test_expired_key_is_401(make_client):
    client = make_client(["admin:write"])
    ApiKey.objects.filter(pk=client.key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/keys")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "API key expired"


def test_rotated_key_works_until_grace_ends_and_not_after(admin_client, monkeypatch):
    old_secret = admin_client.secret
    response = admin_client.post(
        f"/api/keys/{admin_client.key.key_id}/rotate", {"grace_hours": 2}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    new_client = bearer(body["key"])
    assert body["previous_key_id"] == admin_client.key.key_id
    assert body["scopes"] == admin_client.key.scopes

    real_now = timezone.now()
    for offset, old_status in [
        (timedelta(hours=1, minutes=59), 200),
        (timedelta(hours=2, seconds=1), 401),
    ]:
        monkeypatch.setattr(timezone, "now", lambda offset=offset: real_now + offset)
        assert bearer(old_secret).get("/api/keys").status_code == old_status
        assert new_client.get("/api/keys").status_code == 200


def test_rotate_rejects_bad_grace_and_revoked_keys(admin_client, make_client):
    key_id = admin_client.key.key_id
    assert admin_client.post(f"/api/keys/{key_id}/rotate", {"grace_hours": -1}).status_code == 400
    assert admin_client.post(f"/api/keys/{key_id}/rotate", {"grace_hours": "x"}).status_code == 400
    other = make_client(["agents:read"], user=admin_client.user)
    admin_client.delete(f"/api/keys/{other.key.key_id}")
    assert admin_client.post(f"/api/keys/{other.key.key_id}/rotate").status_code == 409


def test_another_owners_key_is_404(admin_client, make_client):
    stranger = make_client(["admin:write"])
    for method in ("get", "delete"):
        response = getattr(admin_client, method)(f"/api/keys/{stranger.key.key_id}")
        assert response.status_code == 404
    assert admin_client.post(f"/api/keys/{stranger.key.key_id}/rotate").status_code == 404
    assert ApiKey.objects.get(pk=stranger.key.pk).revoked_at is None


def test_create_api_key_command_prints_the_key_alone_on_the_last_line(capsys):
    call_command(
        "create_api_key",
        "--name",
        "script",
        "--scopes",
        "agents:read,billing:read",
        "--owner",
        "ops",
    )
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert last_line.startswith("dev_sk_") and " " not in last_line
    assert bearer(last_line).get("/api/keys").status_code == 403  # authenticated, lacks admin:write
    key = ApiKey.objects.get(owner__username="ops")
    assert key.scopes == ["agents:read", "billing:read"]


def test_secret_is_never_stored_or_logged_in_clear(admin_client, caplog, capsys):
    import logging

    caplog.set_level(logging.DEBUG)
    created = admin_client.post("/api/keys", {"name": "secretive", "scopes": "admin:write"})
    secret = created.json()["key"]
    client = bearer(secret)
    client.get("/api/keys")
    client.get("/api/keys", HTTP_AUTHORIZATION=f"Bearer {secret}x")  # a failed attempt logs too
    client.post(f"/api/keys/{created.json()['key_id']}/rotate")
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    assert secret not in dump.getvalue()
    assert secret[len("dev_sk_") :] not in dump.getvalue()
    assert secret not in caplog.text
    captured = capsys.readouterr()
    assert secret not in captured.out + captured.err

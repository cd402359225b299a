"""The Django admin: keys created (secrets shown once), revoked and rotated; the audit log
read-only; blocks lifted."""

import re

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection

from j1msky.sealing import content_is_sealed
from security.models import ApiKey, AuditLog, IpBlock

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    client.user = user
    return client


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _secret(response, element="key-secret"):
    return re.search(rf'<code id="{element}">([^<]+)</code>', response.content.decode()).group(1)


def test_admin_creates_a_key_and_shows_the_secret_once(staff):
    response = staff.post(
        "/admin/security/apikey/add/",
        {
            "name": "from admin",
            "owner": staff.user.pk,
            "scopes": ["agents:read", "billing:read"],
            "max_concurrent_agents": 10,
        },
        follow=True,
    )
    key = ApiKey.objects.get(name="from admin")
    assert response.redirect_chain[-1][0] == f"/admin/security/apikey/{key.pk}/secret/"
    assert "no-store" in response["Cache-Control"]
    secret = _secret(response)
    assert key.scopes == ["agents:read", "billing:read"]
    assert key.secret_hash and secret not in key.secret_hash
    again = staff.get(f"/admin/security/apikey/{key.pk}/secret/")
    assert again.status_code == 200 and secret not in again.content.decode()
    assert "cannot be shown again" in again.content.decode()
    page = staff.get(f"/admin/security/apikey/{key.pk}/change/")
    assert secret not in page.content.decode()
    audit = AuditLog.objects.get(event="api.key.created", resource_id=key.key_id)
    assert audit.actor == "admin:root"


def test_a_secret_waiting_for_its_page_is_sealed_in_the_session_table(staff):
    staff.post(
        "/admin/security/apikey/add/",
        {
            "name": "waiting",
            "owner": staff.user.pk,
            "scopes": ["agents:read"],
            "max_concurrent_agents": 10,
        },
    )  # not followed: the secret waits in the session
    key = ApiKey.objects.get(name="waiting")
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        raw = " ".join(row[0] for row in cursor.fetchall())
    stored = SessionStore(session_key=staff.session.session_key).load()
    [held] = [v for k, v in stored.items() if key.key_id in k]
    assert content_is_sealed(held)
    secret = _secret(staff.get(f"/admin/security/apikey/{key.pk}/secret/"))
    assert secret.startswith("dev_sk_") and secret not in raw and secret not in held


def test_admin_revokes_and_rotates(staff, make_client):
    target = make_client(["agents:read"], user=staff.user)
    response = staff.post(
        "/admin/security/apikey/",
        {"action": "rotate_keys", "_selected_action": [target.key.pk]},
        follow=True,
    )
    assert any("rotated to" in m for m in _messages(response))
    new_key = ApiKey.objects.get(rotated_from=target.key)
    secret = _secret(staff.get(f"/admin/security/apikey/{new_key.pk}/secret/"))
    assert secret.startswith("dev_sk_") and secret != target.secret
    staff.post(
        "/admin/security/apikey/",
        {"action": "revoke_keys", "_selected_action": [target.key.pk]},
        follow=True,
    )
    assert ApiKey.objects.get(pk=target.key.pk).revoked_at is not None
    assert target.get("/api/agents").status_code == 401


def test_admin_issues_a_signing_secret_once_and_never_shows_it_again(staff):
    response = staff.post(
        "/admin/security/apikey/add/",
        {
            "name": "signed in admin",
            "owner": staff.user.pk,
            "scopes": ["agents:read"],
            "max_concurrent_agents": 10,
            "issue_signing_secret": "on",
            "require_signature": "on",
        },
        follow=True,
    )
    signing = _secret(response, "signing-secret")
    assert signing.startswith("sigsec_")
    key = ApiKey.objects.get(name="signed in admin")
    assert key.signing_secret == signing and key.require_signature is True
    for page in (
        staff.get(f"/admin/security/apikey/{key.pk}/change/"),
        staff.get(f"/admin/security/apikey/{key.pk}/secret/"),
        staff.get("/admin/security/apikey/"),
    ):
        assert page.status_code == 200 and signing not in page.content.decode()


def test_the_audit_log_is_read_only_in_the_admin(staff, make_client):
    make_client().post("/api/spawn", {"task": "audited"}, format="json")
    row = AuditLog.objects.get(event="agent.spawn")
    assert staff.get("/admin/security/auditlog/").status_code == 200
    assert staff.get(f"/admin/security/auditlog/{row.pk}/change/").status_code == 200
    assert staff.get("/admin/security/auditlog/add/").status_code == 403
    assert (
        staff.post(f"/admin/security/auditlog/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    changed = staff.post(f"/admin/security/auditlog/{row.pk}/change/", {"event": "forged"})
    assert changed.status_code == 403
    assert AuditLog.objects.get(pk=row.pk).event == "agent.spawn"


def test_admin_lifts_a_block_and_shows_the_allowlist_read_only(staff, admin_client):
    block_id = admin_client.post(
        "/api/security/block-ip", {"ip": "198.51.100.9"}, format="json"
    ).json()["block_id"]
    block = IpBlock.objects.get(block_id=block_id)
    staff.post(
        "/admin/security/ipblock/",
        {"action": "lift_blocks", "_selected_action": [block.pk]},
        follow=True,
    )
    block.refresh_from_db()
    assert block.lifted_by == "admin:root"
    assert staff.get("/admin/security/ipallowlist/add/").status_code == 403
    assert staff.get("/admin/security/auditsetting/add/").status_code == 403


def test_admin_revokes_one_key_with_a_reason_and_the_api_refuses_it(staff, make_client):
    target = make_client(["agents:read"], user=staff.user)
    assert target.get("/api/agents").status_code == 200
    form = staff.get(f"/admin/security/apikey/{target.key.pk}/revoke/")
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    refused = staff.post(f"/admin/security/apikey/{target.key.pk}/revoke/", {"reason": ""})
    assert refused.status_code == 200 and ApiKey.objects.get(pk=target.key.pk).revoked_at is None
    staff.post(
        f"/admin/security/apikey/{target.key.pk}/revoke/", {"reason": "laptop stolen"}, follow=True
    )
    key = ApiKey.objects.get(pk=target.key.pk)
    assert key.revoked_at is not None and key.revoked_reason == "laptop stolen"
    audit = AuditLog.objects.get(event="api.key.revoked", resource_id=key.key_id)
    assert audit.actor == "admin:root" and audit.details["reason"] == "laptop stolen"
    assert target.get("/api/agents").status_code == 401


def test_admin_rotates_with_a_chosen_grace_and_shows_the_new_secret_once(staff, make_client):
    from django.utils import timezone

    target = make_client(["agents:read"], user=staff.user)
    before = timezone.now()
    response = staff.post(
        f"/admin/security/apikey/{target.key.pk}/rotate/", {"grace_hours": 2}, follow=True
    )
    new_key = ApiKey.objects.get(rotated_from=target.key)
    secret = _secret(response)
    old = ApiKey.objects.get(pk=target.key.pk)
    hours = (old.expires_at - before).total_seconds() / 3600
    assert 1.99 < hours <= 2.01
    audit = AuditLog.objects.get(event="api.key.rotated", resource_id=old.key_id)
    assert audit.details == {"new_key_id": new_key.key_id, "grace_hours": 2}
    assert audit.actor == "admin:root"
    assert target.get("/api/agents").status_code == 200  # within its grace
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/agents").status_code == 200
    assert secret not in staff.get(f"/admin/security/apikey/{new_key.pk}/secret/").content.decode()


def test_admin_reinstates_a_suspended_key(staff, make_client):
    from security.services import api_key_suspend

    target = make_client(["agents:read"], user=staff.user)
    api_key_suspend(key=target.key, reason="cost spike", details={})
    assert target.get("/api/agents").status_code == 403
    page = staff.get(f"/admin/security/apikey/{target.key.pk}/change/").content.decode()
    assert "reinstate-key" in page
    staff.post(f"/admin/security/apikey/{target.key.pk}/reinstate/", follow=True)
    assert ApiKey.objects.get(pk=target.key.pk).suspended_at is None
    assert AuditLog.objects.filter(actor="admin:root", resource_id=target.key.key_id).exists()
    assert target.get("/api/agents").status_code == 200


def test_key_workflows_need_their_permissions(client, django_user_model, make_client):
    from django.contrib.auth.models import Permission

    clerk = django_user_model.objects.create_user("clerk", password="pw-123456", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_apikey", "change_apikey"])
    )
    client.force_login(clerk)
    target = make_client(["agents:read"])
    assert client.get(f"/admin/security/apikey/{target.key.pk}/rotate/").status_code == 403
    assert client.get(f"/admin/security/apikey/{target.key.pk}/secret/").status_code == 403
    assert client.post(f"/admin/security/apikey/{target.key.pk}/reinstate/").status_code == 403
    assert client.get(f"/admin/security/apikey/{target.key.pk}/revoke/").status_code == 200


def test_the_key_list_shows_last_use(staff, make_client):
    target = make_client(["agents:read"], user=staff.user)
    target.get("/api/keys", REMOTE_ADDR="127.0.0.1")
    page = staff.get("/admin/security/apikey/").content.decode()
    assert "Last used ip" in page and "127.0.0.1" in page


def test_the_key_list_filters_by_status(staff, make_client):
    from datetime import timedelta

    from django.utils import timezone

    from security.services import api_key_revoke, api_key_suspend

    keys = {
        name: make_client(["agents:read"], user=staff.user).key for name in ("a", "s", "r", "e")
    }
    api_key_suspend(key=keys["s"], reason="cost spike", details={})
    api_key_revoke(key=keys["r"], reason="gone")
    ApiKey.objects.filter(pk=keys["e"].pk).update(expires_at=timezone.now() - timedelta(hours=1))
    for status, name in (("active", "a"), ("suspended", "s"), ("revoked", "r"), ("expired", "e")):
        page = staff.get(f"/admin/security/apikey/?status={status}").content.decode()
        shown = {n for n, key in keys.items() if key.key_id in page}
        assert shown == {name}, status

"""The Django admin: keys created (secrets shown once), revoked and rotated; the audit log
read-only; blocks lifted."""

import re

import pytest
from django.contrib.messages import get_messages

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
    assert response.status_code == 200
    shown = " ".join(_messages(response))
    secret = re.search(r"dev_sk_\S+", shown).group(0)
    key = ApiKey.objects.get(name="from admin")
    assert key.scopes == ["agents:read", "billing:read"]
    assert key.secret_hash and secret not in key.secret_hash
    page = staff.get(f"/admin/security/apikey/{key.pk}/change/")
    assert secret not in page.content.decode()


def test_admin_revokes_and_rotates(staff, make_client):
    target = make_client(["agents:read"], user=staff.user)
    response = staff.post(
        "/admin/security/apikey/",
        {"action": "rotate_keys", "_selected_action": [target.key.pk]},
        follow=True,
    )
    assert any("rotated to" in m for m in _messages(response))
    assert ApiKey.objects.filter(rotated_from=target.key).count() == 1
    staff.post(
        "/admin/security/apikey/",
        {"action": "revoke_keys", "_selected_action": [target.key.pk]},
        follow=True,
    )
    assert ApiKey.objects.get(pk=target.key.pk).revoked_at is not None
    assert target.get("/api/keys").status_code == 401


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
    shown = " ".join(_messages(response))
    signing = re.search(r"sigsec_\S+", shown).group(0)
    key = ApiKey.objects.get(name="signed in admin")
    assert key.signing_secret == signing and key.require_signature is True
    for page in (
        staff.get(f"/admin/security/apikey/{key.pk}/change/"),
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

"""The Django admin can create (shown once), revoke and rotate keys."""

import re

import pytest
from django.contrib.messages import get_messages

from security.models import ApiKey

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

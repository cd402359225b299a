"""The admin is staff only, refuses a form posted without its CSRF token and cannot be framed."""

import pytest
from django.test import Client

from security.models import ApiKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/dashboard/", "/admin/security/apikey/", "/admin/login/"]
)
def test_admin_pages_cannot_be_framed(client, staff_user, url):
    if url != "/admin/login/":
        client.force_login(staff_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


def test_a_post_without_the_csrf_token_is_refused(staff_user, make_client):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    target = make_client(["agents:read"])
    url = f"/admin/security/apikey/{target.key.pk}/revoke/"
    forged = browser.post(url, {"reason": "forged from another site"})
    assert forged.status_code == 403
    assert ApiKey.objects.get(pk=target.key.pk).revoked_at is None
    form = browser.get(url)
    token = form.cookies["csrftoken"].value
    browser.post(url, {"reason": "real", "csrfmiddlewaretoken": token})
    assert ApiKey.objects.get(pk=target.key.pk).revoked_reason == "real"


def test_non_staff_users_cannot_sign_in_to_the_admin(client, make_user):
    user = make_user("plain")
    user.set_password("pw-123456")
    user.save()
    response = client.post("/admin/login/", {"username": "plain", "password": "pw-123456"})
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/security/apikey/").status_code == 302

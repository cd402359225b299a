"""The admin: endpoints change state only through declared actions, the delivery log is
read-only, replay and test need their own permissions, and secrets never show."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from j1msky.models import Event
from security.models import AuditLog
from tests.webhooks.conftest import register
from webhooks.models import Delivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://8.8.8.8/hook"


@pytest.fixture
def root(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(django_user_model):
    """Staff who may look at webhooks and deliveries, and change endpoints, nothing more."""
    user = django_user_model.objects.create_user("viewer", password="pw-123456", is_staff=True)
    codenames = ["view_webhookendpoint", "change_webhookendpoint", "view_delivery"]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def _delivery(owner) -> Delivery:
    from webhooks.services import outbox_dispatch

    Event.objects.create(type="agent.completed", owner=owner.user, data={})
    outbox_dispatch()
    return Delivery.objects.get()


def test_the_endpoint_page_never_shows_the_secret(root, owner):
    created = register(owner, URL).json()
    endpoint = WebhookEndpoint.objects.get()
    page = root.get(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert endpoint.webhook_id in page and created["secret"] not in page
    assert root.get("/admin/webhooks/webhookendpoint/add/").status_code == 403


def test_pause_resume_and_test_actions(root, owner):
    register(owner, URL)
    endpoint = WebhookEndpoint.objects.get()
    changelist = "/admin/webhooks/webhookendpoint/"
    root.post(changelist, {"action": "pause_endpoints", "_selected_action": [endpoint.pk]})
    assert WebhookEndpoint.objects.get().status == "paused"
    root.post(changelist, {"action": "resume_endpoints", "_selected_action": [endpoint.pk]})
    assert WebhookEndpoint.objects.get().status == "active"
    root.post(changelist, {"action": "send_test_events", "_selected_action": [endpoint.pk]})
    test = Delivery.objects.get()
    assert test.is_test
    audit = AuditLog.objects.get(event="admin.action", resource_id=test.delivery_id)
    assert audit.details == {"action": "send_test", "webhook_id": endpoint.webhook_id}


def test_the_delivery_log_is_read_only_and_replay_needs_its_permission(viewer, root, owner):
    register(owner, URL)
    delivery = _delivery(owner)
    Delivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    page = viewer.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")
    assert page.status_code == 200 and delivery.delivery_id in page.content.decode()
    assert viewer.post(f"/admin/webhooks/delivery/{delivery.pk}/delete/").status_code == 403
    changelist = "/admin/webhooks/delivery/"
    refused = viewer.post(
        changelist, {"action": "replay_deliveries", "_selected_action": [delivery.pk]}
    )
    assert refused.status_code == 403
    assert Delivery.objects.get().status == "failed"
    root.post(changelist, {"action": "replay_deliveries", "_selected_action": [delivery.pk]})
    assert Delivery.objects.get().status == "pending"
    audit = AuditLog.objects.get(event="admin.action", resource_id=delivery.delivery_id)
    assert audit.details["action"] == "replay" and audit.actor.startswith("admin:")


def test_sending_a_test_event_needs_its_permission(viewer, owner):
    register(owner, URL)
    endpoint = WebhookEndpoint.objects.get()
    refused = viewer.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "send_test_events", "_selected_action": [endpoint.pk]},
    )
    assert refused.status_code == 403
    assert not Delivery.objects.exists()

"""The operations dashboard's page and data (Django test client): the API's numbers, staff only."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import LedgerEntry
from tests.fakeprovider import ok
from webhooks.models import Delivery, WebhookEndpoint, new_webhook_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def _without_clock(status: dict) -> dict:
    """The status less what moves with the clock between two reads a few ms apart: the moments
    it was computed at, and the forecast (the rest of today counts by the second)."""
    status = {k: v for k, v in status.items() if k not in ("timestamp", "monthly_forecast")}
    status["quote_decision_preview"].pop("generated_at")
    return status


def test_the_dashboard_data_is_the_status_the_api_answers(
    staff, admin_client, run_waiting, live_providers
):
    live_providers.enqueue(ok("done", input_tokens=40_000, output_tokens=60_000))
    spawned = admin_client.post("/api/spawn", {"task": "dash", "model": "k2p5"}, format="json")
    assert spawned.status_code == 201, spawned.content
    assert run_waiting() == [spawned.json()["agent_id"]]
    data = staff.get("/admin/dashboard.json")
    assert data.status_code == 200 and "no-cache" in data["Cache-Control"]
    api = admin_client.get("/api/v1/orchestrator/status").json()
    body = data.json()
    assert _without_clock(body["status"]) == _without_clock(api)
    ours, theirs = body["status"]["monthly_forecast"], api["monthly_forecast"]
    assert ours["budget_ceiling"] == theirs["budget_ceiling"]
    assert abs(ours["projected_spend"] - theirs["projected_spend"]) < 0.01
    assert Decimal(str(body["status"]["today_spend"])) > 0
    agent_id = spawned.json()["agent_id"]
    assert [a["agent_id"] for a in body["recent_agents"]] == [agent_id]
    assert body["recent_agents"][0]["url"] == f"/admin/agents/agent/{agent_id}/change/"
    assert body["refresh_seconds"] == 10


def test_the_dashboard_page_is_linked_from_the_index_and_embeds_its_data(staff, settings):
    settings.J1MSKY_DASHBOARD_REFRESH_SECONDS = 3
    index = staff.get("/admin/").content.decode()
    assert 'href="/admin/dashboard/"' in index
    page = staff.get("/admin/dashboard/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="dashboard-data"' in html and '"refresh_seconds": 3' in html
    assert "/admin/dashboard.json" in html


def test_failing_webhooks_are_listed_with_their_failures(staff, make_user):
    owner = make_user()
    healthy = WebhookEndpoint.objects.create(
        webhook_id=new_webhook_id("agent"),
        kind="agent",
        owner=owner,
        url="https://ok.example.com/hook",
        events=["agent.completed"],
    )
    broken = WebhookEndpoint.objects.create(
        webhook_id=new_webhook_id("agent"),
        kind="agent",
        owner=owner,
        url="https://broken.example.com/hook",
        events=["agent.completed"],
    )
    Delivery.objects.create(
        endpoint=healthy, event_type="agent.completed", message_id="m1", status="delivered"
    )
    Delivery.objects.create(
        endpoint=broken,
        event_type="agent.completed",
        message_id="m2",
        status="failed",
        last_status_code=500,
        attempt_count=3,
        failures=3,
    )
    Delivery.objects.create(
        endpoint=broken,
        event_type="agent.completed",
        message_id="m3",
        status="pending",
        last_status_code=503,
        failures=1,
        next_attempt_at=timezone.now(),
    )
    rows = staff.get("/admin/dashboard.json").json()["failing_webhooks"]
    assert [row["webhook_id"] for row in rows] == [broken.webhook_id]
    assert rows[0]["failed_deliveries"] == 1 and rows[0]["retrying_deliveries"] == 1
    assert rows[0]["last_status_code"] == 503


def test_only_signed_in_staff_see_the_dashboard(client, make_user):
    for url in ("/admin/dashboard/", "/admin/dashboard.json"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(make_user(is_staff=False))
    response = client.get("/admin/dashboard.json")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not LedgerEntry.objects.exists()

"""The reaper on the beat, and the admin views of billing rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from agents.tasks import reap_reservations as reservation_reap_task
from billing.models import BudgetDay, BudgetSetting, Reservation
from billing.services import budget_reserve
from security.models import AuditLog
from tests.ledger import ledger_record, window_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


def test_reaper_runs_each_minute_on_the_beat():
    # Billing's reaper, run by the agents app, which knows which holders still live.
    entry = settings.CELERY_BEAT_SCHEDULE["reservation-reaper"]
    assert entry["task"] == reservation_reap_task.name == "agents.tasks.reap_reservations"
    assert entry["schedule"] == 60.0


def test_reaper_task_releases_expired_reservations():
    past = timezone.now() - timedelta(minutes=10)
    expired = budget_reserve(amount=Decimal("1"), lease_seconds=60, now=past)
    alive = budget_reserve(amount=Decimal("2"), lease_seconds=3600)
    assert reservation_reap_task.apply().get() == 1
    assert reservation_reap_task.apply().get() == 0
    expired.refresh_from_db()
    alive.refresh_from_db()
    assert (expired.state, alive.state) == ("released", "open")


@pytest.fixture
def staff(make_user):
    user = make_user(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_show_billing_rows_read_only(staff):
    reservation = budget_reserve(amount=Decimal("1"))
    ledger_record(owner=None, api_key=None, model_alias="k2p5", input_tokens=10, output_tokens=10)
    window_take(provider="anthropic")
    for name in ("ledgerentry", "budgetday", "keybudgetday", "providerwindow", "reservation"):
        assert staff.get(f"/admin/billing/{name}/").status_code == 200
        assert staff.get(f"/admin/billing/{name}/add/").status_code == 403
    assert staff.get(f"/admin/billing/reservation/{reservation.pk}/change/").status_code == 200

    response = staff.post(
        "/admin/billing/reservation/",
        {"action": "release", "_selected_action": [reservation.pk]},
    )
    assert response.status_code == 302
    reservation.refresh_from_db()
    assert reservation.state == Reservation.State.RELEASED
    assert BudgetDay.objects.get(day=reservation.day).reserved == 0


def test_admin_budget_change_goes_through_the_audited_service(staff):
    response = staff.post("/admin/billing/budgetsetting/add/", {"daily_budget": "12.5"})
    assert response.status_code == 302, response.content[:2000]
    assert BudgetSetting.objects.get().daily_budget == Decimal("12.5")
    assert AuditLog.objects.get(event="config.change").details["new"] == "12.5000"
    response = staff.post("/admin/billing/budgetsetting/1/change/", {"daily_budget": "7"})
    assert response.status_code == 302
    assert BudgetSetting.objects.get().daily_budget == Decimal("7")
    assert AuditLog.objects.filter(event="config.change").count() == 2

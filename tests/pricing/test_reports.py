"""Pricing health and report from the ledger, the daily jobs on the beat and the stored reports."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from billing.clock import budget_day
from billing.models import BudgetDay
from pricing import services, tasks
from pricing.models import ExceptionAgingAlert, PricingReport
from tests.pricing.conftest import error, ok, quote_request

pytestmark = pytest.mark.django_db

REFERENCE_HEALTH = {
    "status": "healthy",
    "daily_cost": 12.45,
    "daily_budget": 50.0,
    "budget_utilization_pct": 24.9,
    "tasks_completed": 156,
    "avg_cost_per_task": 0.0798,
    "issues": [],
    "by_model": {
        "k2p5": {"cost": 8.23, "calls": 89, "avg_per_call": 0.0925},
        "sonnet": {"cost": 4.22, "calls": 67, "avg_per_call": 0.0630},
    },
}


@pytest.fixture
def reference_day(ledger, completed_agents, settings):
    """The reference's health example as today's ledger: 89 k2p5 calls for 8.23, 67 sonnet
    calls for 4.22, 156 completed tasks, a 50.00 budget."""
    settings.J1MSKY_DAILY_BUDGET = Decimal("50.00")

    def make(now):
        ledger("k2p5", ["0.0925"] * 88 + ["0.09"], now=now)
        ledger("sonnet", ["0.063"] * 66 + ["0.062"], now=now)
        completed_agents(156, now=now)

    return make


def test_health_reproduces_the_reference_example(reader, reference_day):
    reference_day(timezone.now())
    body = ok(reader.get("/api/pricing/health"))
    assert body == {"success": True, "health": REFERENCE_HEALTH}


def test_health_counts_only_today(reader, reference_day, ledger):
    reference_day(timezone.now())
    ledger("opus", ["5.00"], now=timezone.now() - timedelta(days=1))
    assert ok(reader.get("/api/pricing/health"))["health"]["daily_cost"] == 12.45


def test_health_warning_and_critical(reader, ledger, completed_agents, settings):
    settings.J1MSKY_DAILY_BUDGET = Decimal("10.00")
    now = timezone.now()
    ledger("sonnet", ["8.50"], now=now)
    completed_agents(10, now=now)
    health = ok(reader.get("/api/pricing/health"))["health"]
    assert health["status"] == "warning"
    assert health["issues"] == ["High daily cost: $8.50", "High avg cost per task: $0.85"]
    ledger("sonnet", ["1.50"], now=now)
    health = ok(reader.get("/api/pricing/health"))["health"]
    assert (health["status"], health["budget_utilization_pct"]) == ("critical", 100.0)


def test_open_reservations_count_toward_utilization(reader, reference_day):
    now = timezone.now()
    reference_day(now)
    BudgetDay.objects.create(
        day=budget_day(now), limit_micros=50_000_000, spent_micros=0, reserved_micros=30_000_000
    )
    health = ok(reader.get("/api/pricing/health"))["health"]
    assert health["budget_utilization_pct"] == 84.9  # (12.45 + 30) / 50
    assert health["status"] == "warning"
    assert health["daily_cost"] == 12.45


def test_report_reproduces_health_by_model_and_policy(reader, reference_day, settings):
    settings.J1MSKY_TIMEZONE = "America/New_York"
    reference_day(timezone.now())
    report = ok(reader.get("/api/pricing/report"))["report"]
    assert report["period"] == "daily"
    assert report["generated_at"][-6:] in ("-05:00", "-04:00")
    assert report["health"] == {k: v for k, v in REFERENCE_HEALTH.items() if k != "by_model"}
    assert report["by_model"] == REFERENCE_HEALTH["by_model"]
    assert report["pricing_policy"]["minimum_price"] == 0.5
    samples = report["sample_quotes_by_segment"]
    assert list(samples) == ["enterprise", "mid_market", "smb", "startup"]
    assert [samples[s]["final_markup"] for s in samples] == [4.5, 4.0, 3.5, 3.0]
    assert {samples[s]["model"] for s in samples} == {"k2p5"}
    # docs/pricing-examples.md: all four are the 0.50 floor at 99.66.
    assert {(samples[s]["recommended_price"], samples[s]["gross_margin_pct"]) for s in samples} == {
        (0.5, 99.66)
    }


def test_daily_report_task_stores_yesterday_once(reader, reference_day):
    yesterday = timezone.now() - timedelta(days=1)
    day = budget_day(yesterday)
    reference_day(yesterday)
    BudgetDay.objects.create(day=day, limit_micros=40_000_000, spent_micros=12_450_000)
    assert tasks.pricing_report_daily.apply().get() == day.isoformat()
    assert tasks.pricing_report_daily.apply().get() is None
    assert PricingReport.objects.count() == 1
    listed = ok(reader.get("/api/pricing/reports"))
    assert listed["data"] == [
        {
            "date": day.isoformat(),
            "generated_at": listed["data"][0]["generated_at"],
            "status": "healthy",
            "daily_cost": 12.45,
            "daily_budget": 40.0,
            "budget_utilization_pct": 31.13,
            "tasks_completed": 156,
        }
    ]
    stored = ok(reader.get(f"/api/pricing/reports/{day.isoformat()}"))
    assert stored["date"] == day.isoformat()
    assert stored["report"]["by_model"] == REFERENCE_HEALTH["by_model"]
    assert stored["report"]["health"]["avg_cost_per_task"] == 0.0798
    assert stored["report"]["sample_quotes_by_segment"]["smb"]["gross_margin_pct"] == 99.66
    missing = error(reader.get("/api/pricing/reports/2001-01-01"), 404)
    assert missing["type"] == "report_not_found"


def test_stored_reports_filter_and_sort(reader, seeded):
    today = budget_day(timezone.now())
    for back in (1, 2, 3):
        services.pricing_report_store(day=today - timedelta(days=back))
    dates = [row["date"] for row in ok(reader.get("/api/pricing/reports"))["data"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 3
    since = (today - timedelta(days=2)).isoformat()
    recent = ok(reader.get(f"/api/pricing/reports?date_gte={since}&sort=date"))["data"]
    assert [row["date"] for row in recent] == sorted(dates)[1:]


def test_exception_aging_task_records_each_owner_once_a_day(make_user, seeded, caplog):
    escalate = {
        "model": "opus",
        "estimated_input": 10000,
        "estimated_output": 10000,
        "complexity": "low",
        "segment": "startup",
    }
    now = timezone.now()
    late, fine, closed = make_user(), make_user(), make_user()
    for owner, days in ((late, 31), (fine, 2), (closed, 40)):
        decision = services.decision_create(owner=owner, request=quote_request(**escalate))
        exception = services.exception_create(decision=decision, now=now - timedelta(days=days))
        if owner == closed:
            services.exception_close(exception=exception)
    with caplog.at_level(logging.WARNING, logger="pricing.services"):
        assert tasks.pricing_exception_aging_daily.apply().get() == 2
    assert tasks.pricing_exception_aging_daily.apply().get() == 2  # the same rows again
    alerts = {a.owner: a for a in ExceptionAgingAlert.objects.all()}
    assert set(alerts) == {late, fine}
    assert (alerts[late].level, alerts[late].summary) == (
        "critical",
        "Critical exception risk: 1 open, oldest 31d",
    )
    assert (alerts[fine].level, alerts[fine].recommended_action) == (
        "ok",
        "continue_recovery_plan",
    )
    assert [r.levelname for r in caplog.records if "exception aging" in r.message] == ["WARNING"]


def test_daily_jobs_are_on_the_beat():
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {tasks.pricing_report_daily.name, tasks.pricing_exception_aging_daily.name} <= schedule

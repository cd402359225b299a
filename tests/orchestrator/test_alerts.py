"""The budget alert check on the beat (semantics §11, §14): `pricing.budget_warning` above 80 %
and `pricing.budget_critical` above 95 %, each at most once per budget day, the level's rises
logged, the state stored per day (so restarts and several ticks at once change nothing)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.db import connection

from billing.services import budget_release, budget_reserve, budget_set
from j1msky.models import Event
from orchestrator.models import BudgetAlertDay
from orchestrator.services import budget_alert_day_check
from orchestrator.tasks import budget_alert_check

D = Decimal
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
BUDGET_EVENTS = ("pricing.budget_warning", "pricing.budget_critical")


def budget_events() -> list[str]:
    return list(Event.objects.filter(type__in=BUDGET_EVENTS).values_list("type", flat=True))


def held(amount: str, now: datetime = NOW):
    return budget_reserve(amount=D(amount), now=now)


@pytest.fixture
def budget_100(db):
    budget_set(daily_budget=D("100"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("utilization", "events", "level"),
    [
        ("49.99", [], "ok"),
        ("50", [], "notice"),
        ("70", [], "warning"),
        ("80", [], "warning"),  # "Budget >80%": 80.00 is not above
        ("80.01", ["pricing.budget_warning"], "warning"),
        ("90", ["pricing.budget_warning"], "critical"),
        ("95", ["pricing.budget_warning"], "critical"),
        ("95.01", ["pricing.budget_warning", "pricing.budget_critical"], "critical"),
    ],
)
def test_one_check_from_a_quiet_start(budget_100, utilization, events, level):
    held(utilization)
    alerts = budget_alert_day_check(now=NOW)
    assert list(alerts.events) == events
    assert budget_events() == events
    row = BudgetAlertDay.objects.get(day=NOW.date())
    assert (row.level, row.events_sent, row.utilization_pct) == (
        level,
        sorted(events),
        D(utilization),
    )


def transitions_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "budget alert level" in r.getMessage()]


@pytest.mark.django_db
def test_over_a_day_each_event_once_and_each_rise_logged_once(budget_100, caplog):
    caplog.set_level(logging.WARNING, logger="orchestrator.services")
    steps = [  # (reserve, utilization after, events, transition logged)
        ("30", "30", (), None),
        ("25", "55", (), "ok → notice"),
        ("20", "75", (), "notice → warning"),
        ("6", "81", ("pricing.budget_warning",), None),
        ("15", "96", ("pricing.budget_critical",), "warning → critical"),
    ]
    reservations = []
    for amount, utilization, events, transition in steps:
        reservations.append(held(amount))
        caplog.clear()
        assert budget_alert_day_check(now=NOW).events == events, utilization
        expected = [
            f"budget alert level {transition} on 2026-03-10 (utilization {utilization}.00%)"
        ]
        assert transitions_logged(caplog) == (expected if transition else []), utilization
    # Falling back and rising again emits and logs nothing new the same day.
    budget_release(reservation=reservations[0])
    budget_release(reservation=reservations[1])
    assert budget_alert_day_check(now=NOW).events == ()
    held("50")
    caplog.clear()
    assert budget_alert_day_check(now=NOW + timedelta(minutes=1)).events == ()
    assert transitions_logged(caplog) == []
    assert budget_events() == ["pricing.budget_warning", "pricing.budget_critical"]
    assert BudgetAlertDay.objects.get().level == "critical"


@pytest.mark.django_db
def test_a_new_budget_day_starts_again(budget_100):
    held("96")
    assert len(budget_alert_day_check(now=NOW).events) == 2
    tomorrow = NOW + timedelta(days=1)
    assert budget_alert_day_check(now=tomorrow).events == ()
    held("81", now=tomorrow)
    assert budget_alert_day_check(now=tomorrow).events == ("pricing.budget_warning",)
    assert BudgetAlertDay.objects.count() == 2


@pytest.mark.django_db
def test_the_events_say_what_crossed(budget_100):
    held("96")
    budget_alert_day_check(now=NOW)
    warning = Event.objects.get(type="pricing.budget_warning")
    assert warning.owner is None  # the budget is system-wide
    assert warning.data == {
        "day": "2026-03-10",
        "threshold_pct": 80,
        "budget_utilization_pct": 96.0,
        "daily_budget": 100.0,
        "today_spend": 0.0,
        "reserved": 96.0,
        "budget_remaining": 4.0,
    }
    critical = Event.objects.get(type="pricing.budget_critical")
    assert critical.data["threshold_pct"] == 95


@pytest.mark.django_db
def test_the_beat_runs_the_check_each_minute(budget_100):
    entry = django_settings.CELERY_BEAT_SCHEDULE["orchestrator-budget-alerts"]
    assert (entry["task"], entry["schedule"]) == ("orchestrator.tasks.budget_alert_check", 60.0)
    budget_reserve(amount=D("81"))
    assert budget_alert_check() == ["pricing.budget_warning"]
    assert budget_alert_check() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_checks_running_at_once_emit_each_event_once():
    """Eight threads, each on its own database connection, check at the same moment."""
    budget_set(daily_budget=D("100"))
    held("99")
    barrier = threading.Barrier(8)
    results, errors = [], []

    def tick():
        try:
            barrier.wait(timeout=10)
            results.append(budget_alert_day_check(now=NOW).events)
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(event for events in results for event in events) == sorted(BUDGET_EVENTS)
    assert sorted(budget_events()) == sorted(BUDGET_EVENTS)

"""The ledger's (budget day, model) rollup: always the ledger grouped by day and model.

Concurrent recording from several processes is in test_processes.py (the rollup is checked
there against the rows the processes wrote).
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db.models import Count, Min, Sum

from billing.models import LedgerEntry, LedgerModelDay
from billing.selectors import (
    ledger_daily_spend,
    ledger_day_models,
    ledger_first_day,
    ledger_model_summary,
    ledger_model_totals,
)
from billing.services import budget_reserve, budget_settle
from tests.ledger import ledger_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

NOW = datetime(2026, 2, 19, 10, 30, tzinfo=UTC)


def _ledger_groups() -> dict:
    rows = (
        LedgerEntry.objects.order_by()
        .values("day", "model")
        .annotate(
            calls=Count("pk"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost_micros=Sum("cost_micros"),
            first_at=Min("created_at"),
        )
    )
    return {(r.pop("day"), r.pop("model")): r for r in rows}


def _rollup() -> dict:
    rows = LedgerModelDay.objects.values(
        "day", "model", "calls", "input_tokens", "output_tokens", "cost_micros", "first_at"
    )
    return {(r.pop("day"), r.pop("model")): r for r in rows}


def _record_mix():
    """Calls on three days and three models, out of time order, one against a reservation of
    the day before (which counts on the reservation's day)."""
    moments = [NOW, NOW - timedelta(hours=3), NOW + timedelta(minutes=5), NOW - timedelta(days=1)]
    for i, at in enumerate(moments * 3):
        model = ("k2p5", "sonnet", "opus")[i % 3]
        ledger_record(
            owner=None, api_key=None, model_alias=model, input_tokens=100 * i + 7,
            output_tokens=31 * i, now=at,
        )  # fmt: skip
    yesterday = budget_reserve(amount=Decimal("1"), now=NOW - timedelta(days=1))
    ledger_record(
        owner=None, api_key=None, model_alias="k2p5", input_tokens=999, output_tokens=1,
        reservation=yesterday, now=NOW,
    )  # fmt: skip
    budget_settle(reservation=yesterday)


def test_every_recorded_call_is_in_its_day_and_models_rollup_row():
    _record_mix()
    assert _rollup() == _ledger_groups()
    assert len(_rollup()) == 6
    day_before = (NOW - timedelta(days=1)).date()
    assert _rollup()[(day_before, "k2p5")]["calls"] == 2  # its own call and the reservation's


def test_the_rollup_selectors_agree_with_the_ledger_selectors():
    _record_mix()
    today = NOW.date()
    assert ledger_day_models(day=today) == ledger_model_summary(day=today)
    spend = ledger_daily_spend(start=today - timedelta(days=7), end=today)
    for day, amount in spend.items():
        assert amount == sum(e.cost for e in LedgerEntry.objects.filter(day=day))
    assert list(spend) == sorted(spend)
    assert ledger_first_day() == today - timedelta(days=1)
    totals = {row.model: row for row in ledger_model_totals()}
    assert sum(row.calls for row in totals.values()) == LedgerEntry.objects.count()
    assert totals["opus"].cost == sum(e.cost for e in LedgerEntry.objects.filter(model="opus"))
    today_only = {row.model: row.calls for row in ledger_model_totals(day=today)}
    assert today_only == {u.model: u.calls for u in ledger_model_summary(day=today)}


def test_an_empty_ledger_has_no_first_day_and_no_spend():
    assert ledger_first_day() is None
    assert ledger_daily_spend(start=NOW.date(), end=NOW.date()) == {}
    assert ledger_model_totals() == []


def test_the_migration_fills_the_rollup_from_rows_recorded_before_it():
    _record_mix()
    expected = _ledger_groups()
    LedgerModelDay.objects.all().delete()
    migration = importlib.import_module("billing.migrations.0003_ledger_model_day")
    migration.rollup_fill(apps, None)
    assert _rollup() == expected

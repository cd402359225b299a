"""Billing services: admission, settlement, leases, the ledger and budget days (one process).

Concurrency is proven across processes in test_processes.py; these pin the rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from agents.models import ModelAlias, Provider
from agents.selectors import provider_limits
from billing.errors import BudgetExceeded, ProviderRateLimited
from billing.models import BudgetDay, BudgetSetting, KeyBudgetDay, LedgerEntry, ProviderWindow
from billing.selectors import budget_status, key_budget_status, provider_window_list
from billing.services import (
    budget_release,
    budget_reserve,
    budget_set,
    budget_settle,
    reservation_reap,
    reservation_renew,
)
from j1msky.errors import InvalidInput
from security.models import AuditLog
from tests.ledger import admission_reserve, ledger_record, window_take

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

D = Decimal
NOW = datetime(2026, 2, 19, 10, 30, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def key(make_client):
    return make_client(["agents:write"]).key


def _day(day: date = TODAY) -> BudgetDay:
    return BudgetDay.objects.get(day=day)


def _admit(amount="1", *, slots=None, api_key=None, now=NOW, lease=300):
    return admission_reserve(
        owner=None,
        api_key=api_key,
        amount=D(amount),
        provider_slots=slots or {},
        holder="test",
        lease_seconds=lease,
        now=now,
    )


def _ledger_sum(day: date = TODAY) -> Decimal:
    micros = LedgerEntry.objects.filter(day=day).aggregate(s=Sum("cost_micros"))["s"] or 0
    return D(micros) / 10**6


# --- budget reservations ----------------------------------------------------------------------


def test_reserve_fits_exactly_and_refuses_past_the_limit(settings):
    settings.J1MSKY_DAILY_BUDGET = D("3.70")
    for _ in range(37):
        budget_reserve(amount=D("0.10"), now=NOW)
    with pytest.raises(BudgetExceeded) as refused:
        budget_reserve(amount=D("0.10"), now=NOW)
    assert (_day().reserved, _day().spent) == (D("3.7"), 0)

    error = refused.value
    assert (error.http_status, error.code) == (402, "budget_exceeded")
    assert error.details == {
        "scope": "global",
        "limit": 3.7,
        "today_spend": 0.0,
        "reserved": 3.7,
        "requested": 0.1,
        "budget_remaining": 0.0,
        "resets_at": "2026-02-20T00:00:00Z",
    }


def test_reservation_rounds_up_to_4_dp_and_refuses_negative():
    reservation = budget_reserve(amount=D("0.00001"), now=NOW)
    assert reservation.amount == D("0.0001")
    with pytest.raises(ValueError):
        budget_reserve(amount=D("-1"), now=NOW)
    with pytest.raises(ValueError):
        budget_reserve(amount=D("1"), lease_seconds=0, now=NOW)


def test_refusal_changes_nothing(settings):
    settings.J1MSKY_DAILY_BUDGET = D("1")
    budget_reserve(amount=D("0.6"), now=NOW)
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0.5"), now=NOW)
    assert _day().reserved == D("0.6")
    assert budget_reserve(amount=D("0.4"), now=NOW).amount == D("0.4")  # exactly fills it


def test_zero_budget_refuses_everything_and_a_huge_amount_is_refused(settings):
    settings.J1MSKY_DAILY_BUDGET = D("0")
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0.0001"), now=NOW)
    settings.J1MSKY_DAILY_BUDGET = D("50")
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("50.0001"), now=NOW)


def test_budget_days_follow_j1msky_timezone(settings):
    settings.J1MSKY_TIMEZONE = "America/New_York"
    late_evening = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # 22:00 on 28 Feb in New York
    reservation = budget_reserve(amount=D("1"), now=late_evening)
    assert reservation.day == date(2026, 2, 28)
    status = budget_status(now=late_evening)
    assert status.day == date(2026, 2, 28)
    assert status.reserved == D("1")
    assert status.resets_at == datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # local midnight, EST
    # The night clocks go forward (8 March 2026) the day is 23 hours long.
    assert budget_status(now=datetime(2026, 3, 8, 12, tzinfo=UTC)).resets_at == datetime(
        2026, 3, 9, 4, 0, tzinfo=UTC
    )
    # A new budget day starts empty.
    assert budget_status(now=late_evening + timedelta(hours=3)).reserved == 0


# --- settle and release -----------------------------------------------------------------------


def test_settle_moves_spent_by_actual_and_reserved_by_the_reservation(key):
    reservation = budget_reserve(amount=D("2"), api_key=key, now=NOW)
    settled = budget_settle(reservation=reservation, actual=D("0.75"), now=NOW)
    assert (settled.state, settled.actual, settled.refund) == ("settled", D("0.75"), D("1.25"))
    assert (_day().spent, _day().reserved) == (D("0.75"), 0)
    key_day = KeyBudgetDay.objects.get(api_key=key, day=TODAY)
    assert (key_day.spent, key_day.reserved) == (D("0.75"), 0)


def test_settle_is_idempotent():
    reservation = budget_reserve(amount=D("2"), now=NOW)
    budget_settle(reservation=reservation, actual=D("0.5"), now=NOW)
    again = budget_settle(reservation=reservation, actual=D("0.5"), now=NOW)
    other = budget_settle(reservation=reservation, actual=D("1.9"), now=NOW)
    released = budget_release(reservation=reservation, now=NOW)
    assert again.state == other.state == released.state == "settled"
    assert (_day().spent, _day().reserved) == (D("0.5"), 0)


def test_release_is_idempotent_and_a_late_settle_does_nothing():
    reservation = budget_reserve(amount=D("2"), now=NOW)
    released = budget_release(reservation=reservation, now=NOW)
    assert (released.state, released.actual, released.refund) == ("released", 0, D("2"))
    budget_release(reservation=reservation, now=NOW)
    assert budget_settle(reservation=reservation, actual=D("1"), now=NOW).state == "released"
    assert (_day().spent, _day().reserved) == (0, 0)


def test_settle_above_the_reservation_records_the_truth(settings):
    """Overspend is recorded (spent may exceed the budget); then everything is refused."""
    settings.J1MSKY_DAILY_BUDGET = D("1")
    reservation = budget_reserve(amount=D("0.9"), now=NOW)
    budget_settle(reservation=reservation, actual=D("1.25"), now=NOW)
    assert (_day().spent, _day().reserved) == (D("1.25"), 0)
    status = budget_status(now=NOW)
    assert (status.budget_remaining, status.budget_utilization_pct) == (0, D("125.00"))
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0"), now=NOW)


def test_settle_defaults_to_the_ledger_rows_and_spent_equals_the_ledger(key):
    reservation = _admit("1", api_key=key, slots={"anthropic": 2})
    for tokens in (417, 83):
        ledger_record(
            owner=key.owner,
            api_key=key,
            model_alias="opus",
            input_tokens=tokens,
            output_tokens=tokens,
            reservation=reservation,
            now=NOW,
        )
    assert _day().spent == 0  # charged when the reservation settles
    settled = budget_settle(reservation=reservation, now=NOW)
    # 417 × (0.015 + 0.075) / 1000 = 0.03753 → 0.0375; 83 × 0.09 / 1000 = 0.00747 → 0.0075
    assert settled.actual == D("0.045")
    assert _day().spent == _ledger_sum() == D("0.045")
    assert KeyBudgetDay.objects.get(api_key=key).spent == D("0.045")


def test_settle_refuses_an_actual_below_what_the_ledger_recorded():
    reservation = budget_reserve(amount=D("1"), now=NOW)
    ledger_record(
        owner=None,
        api_key=None,
        model_alias="sonnet",
        input_tokens=1000,
        output_tokens=1000,
        reservation=reservation,
        now=NOW,
    )
    with pytest.raises(ValueError):
        budget_settle(reservation=reservation, actual=D("0.01"), now=NOW)
    reservation.refresh_from_db()
    assert reservation.state == "open"  # the compare-and-set rolled back with it
    assert budget_settle(reservation=reservation, now=NOW).actual == D("0.018")


def test_release_still_charges_calls_already_recorded():
    reservation = budget_reserve(amount=D("1"), now=NOW)
    ledger_record(
        owner=None,
        api_key=None,
        model_alias="k2p5",
        input_tokens=2000,
        output_tokens=1000,
        reservation=reservation,
        now=NOW,
    )
    released = budget_release(reservation=reservation, reason="cancelled", now=NOW)
    assert (released.actual, released.refund, released.close_reason) == (
        D("0.0025"),
        D("0.9975"),
        "cancelled",
    )
    assert (_day().spent, _day().reserved) == (D("0.0025"), 0)


def test_a_call_recorded_after_its_reservation_closed_is_charged_directly(key):
    reservation = budget_reserve(amount=D("1"), api_key=key, now=NOW)
    budget_release(reservation=reservation, now=NOW)
    ledger_record(
        owner=None,
        api_key=key,
        model_alias="sonnet",
        input_tokens=1000,
        output_tokens=1000,
        reservation=reservation,
        now=NOW + timedelta(days=1),  # even after midnight: it counts on the reservation's day
    )
    assert (_day().spent, _day().reserved) == (D("0.018"), 0)
    assert KeyBudgetDay.objects.get(api_key=key, day=TODAY).spent == D("0.018")
    assert _ledger_sum() == D("0.018")


# --- leases and the reaper --------------------------------------------------------------------


def test_reaper_releases_only_expired_leases_and_renewal_keeps_one_alive():
    short = budget_reserve(amount=D("1"), lease_seconds=60, now=NOW)
    renewed = budget_reserve(amount=D("2"), lease_seconds=60, now=NOW)
    long = budget_reserve(amount=D("4"), lease_seconds=3600, now=NOW)

    assert reservation_renew(
        reservation=renewed, lease_seconds=600, now=NOW + timedelta(seconds=50)
    )
    assert reservation_reap(now=NOW + timedelta(seconds=59)) == 0
    assert reservation_reap(now=NOW + timedelta(seconds=61)) == 1
    assert reservation_reap(now=NOW + timedelta(seconds=61)) == 0

    short.refresh_from_db()
    assert (short.state, short.close_reason) == ("released", "lease_expired")
    assert _day().reserved == D("6")
    assert not reservation_renew(reservation=short, lease_seconds=600, now=NOW)

    assert reservation_reap(now=NOW + timedelta(hours=2)) == 2
    assert (_day().spent, _day().reserved) == (0, 0)
    long.refresh_from_db()
    assert long.state == "released"


# --- provider windows -------------------------------------------------------------------------


def test_window_take_admits_up_to_the_limit_and_says_when_it_resets():
    Provider.objects.filter(pk="openai-codex").update(hourly_limit=3)
    for _ in range(3):
        window = window_take(provider="openai-codex", now=NOW)
    assert (window.used, window.remaining, window.window_start) == (
        3,
        0,
        datetime(2026, 2, 19, 10, tzinfo=UTC),
    )
    with pytest.raises(ProviderRateLimited) as refused:
        window_take(provider="openai-codex", now=NOW)
    error = refused.value
    assert (error.http_status, error.code, error.provider) == (
        429,
        "provider_rate_limited",
        "openai-codex",
    )
    assert error.extra["retry_after"] == 1800  # 10:30 → 11:00
    assert error.headers["Retry-After"] == "1800"
    assert error.details == {
        "provider": "openai-codex",
        "used": 3,
        "limit": 3,
        "reset_at": "2026-02-19T11:00:00Z",
    }
    # The next clock hour is a fresh window.
    assert window_take(provider="openai-codex", now=NOW + timedelta(minutes=30)).used == 1


def test_window_takes_n_at_once_and_the_catalogue_limit_applies_immediately():
    provider = Provider.objects.get(pk="anthropic")
    assert provider.hourly_limit == 50  # the seeded catalogue (semantics §7.7)
    window_take(provider=provider, n=48, now=NOW)
    with pytest.raises(ProviderRateLimited):
        window_take(provider=provider, n=3, now=NOW)
    assert window_take(provider=provider, n=2, now=NOW).used == 50
    Provider.objects.filter(pk="anthropic").update(hourly_limit=60)  # admin raises it mid-hour
    assert window_take(provider=provider, n=10, now=NOW).used == 60
    with pytest.raises(ValueError):
        window_take(provider=provider, n=0, now=NOW)


def test_seeded_limits_and_window_list():
    window_take(provider="kimi-coding", n=7, now=NOW)
    windows = {w.provider: w for w in provider_window_list(providers=provider_limits(), now=NOW)}
    assert {p: w.limit for p, w in windows.items()} == {
        "anthropic": 50,
        "kimi-coding": 100,
        "minimax-portal": 100,
        "openai-codex": 20,
    }
    kimi = windows["kimi-coding"]
    assert (kimi.used, kimi.remaining, kimi.utilization_pct) == (7, 93, D("7.00"))
    assert kimi.reset_at == datetime(2026, 2, 19, 11, tzinfo=UTC)


# --- combined admission -----------------------------------------------------------------------


def test_admission_takes_slots_and_budget_together():
    reservation = _admit("1.5", slots={"anthropic": 2, "kimi-coding": 1, "openai-codex": 0})
    assert reservation.provider_slots == {"anthropic": 2, "kimi-coding": 1}
    assert reservation.lease_expires_at == NOW + timedelta(seconds=300)
    used = dict(ProviderWindow.objects.values_list("provider", "used"))
    assert used == {"anthropic": 2, "kimi-coding": 1}
    assert _day().reserved == D("1.5")


def test_admission_refused_by_budget_takes_no_slot(settings):
    settings.J1MSKY_DAILY_BUDGET = D("1")
    with pytest.raises(BudgetExceeded):
        _admit("2", slots={"anthropic": 1, "kimi-coding": 2})
    assert not ProviderWindow.objects.filter(used__gt=0).exists()


def test_admission_refused_by_a_full_window_reserves_nothing():
    Provider.objects.filter(pk="openai-codex").update(hourly_limit=1)
    _admit("1", slots={"openai-codex": 1})
    with pytest.raises(ProviderRateLimited):
        _admit("1", slots={"anthropic": 1, "openai-codex": 1})
    assert _day().reserved == D("1")
    assert not ProviderWindow.objects.filter(provider="anthropic", used__gt=0).exists()


def test_admission_refused_by_the_key_budget_undoes_the_global_reservation(key):
    key.daily_budget = D("0.25")
    key.save()
    _admit("0.1", api_key=key, slots={"anthropic": 1})
    _admit("0.15", api_key=key, slots={"anthropic": 1})
    with pytest.raises(BudgetExceeded) as refused:
        _admit("0.0001", api_key=key, slots={"anthropic": 1})
    assert refused.value.details["scope"] == "api_key"
    assert refused.value.details["api_key_id"] == key.key_id
    assert refused.value.message == "API key daily budget exceeded"
    assert _day().reserved == D("0.25")
    assert ProviderWindow.objects.get(provider="anthropic").used == 2
    _admit("5", slots={"anthropic": 1})  # other callers are not limited by this key


def test_admission_inside_the_callers_transaction_rolls_back_with_it():
    with pytest.raises(RuntimeError), transaction.atomic():
        _admit("1", slots={"anthropic": 1})
        raise RuntimeError("spawn failed after admission")
    assert not BudgetDay.objects.filter(reserved_micros__gt=0).exists()
    assert not ProviderWindow.objects.filter(used__gt=0).exists()


def test_admission_refuses_bad_slots():
    with pytest.raises(ValueError):
        _admit("1", slots={"anthropic": -1})
    with pytest.raises(ValueError):
        _admit("1", slots={"anthropic": 1.5})


# --- per-key budgets --------------------------------------------------------------------------


def test_key_without_a_budget_is_counted_and_a_budget_set_mid_day_sees_it(key):
    budget_reserve(amount=D("0.3"), api_key=key, now=NOW)
    assert key_budget_status(api_key=key, now=NOW) is None
    key.daily_budget = D("0.5")
    key.save()
    status = key_budget_status(api_key=key, now=NOW)
    assert (status.reserved, status.budget_remaining) == (D("0.3"), D("0.2"))
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0.3"), api_key=key, now=NOW)


# --- the ledger -------------------------------------------------------------------------------


def test_ledger_row_keeps_the_rates_it_was_charged_at(key):
    entry = ledger_record(
        owner=key.owner,
        api_key=key,
        model_alias="sonnet",
        input_tokens=1234,
        output_tokens=567,
        step=2,
        simulated=True,
        now=NOW,
    )
    ModelAlias.objects.filter(pk="sonnet").update(input_rate=D("1"), output_rate=D("1"))
    entry.refresh_from_db()
    assert (entry.model, entry.provider, entry.step, entry.simulated) == (
        "sonnet",
        "anthropic",
        2,
        True,
    )
    assert (entry.input_rate, entry.output_rate) == (D("0.003"), D("0.015"))
    assert entry.cost == D("0.0122")  # 0.003702 + 0.008505 = 0.012207
    # Without a reservation the call is charged to today's spend at once.
    assert _day().spent == D("0.0122")
    assert KeyBudgetDay.objects.get(api_key=key).spent == D("0.0122")
    # The new rates apply to the next call only.
    later = ledger_record(
        owner=None, api_key=None, model_alias="sonnet", input_tokens=1, output_tokens=0, now=NOW
    )
    assert later.cost == D("0.001")


def test_costs_are_rounded_per_row_and_summed():
    rows = [
        ledger_record(
            owner=None, api_key=None, model_alias="k2p5", input_tokens=100, output_tokens=0, now=NOW
        )
        for _ in range(3)
    ]
    assert [r.cost for r in rows] == [D("0.0001")] * 3  # 0.00005 each, half-up
    assert _day().spent == D("0.0003")


def test_ledger_refuses_bad_counts():
    # Billing knows models by name only: the run prices each call with its rate card's rates.
    with pytest.raises(ValueError):
        ledger_record(
            owner=None, api_key=None, model_alias="k2p5", input_tokens=-1, output_tokens=1
        )


# --- the daily budget at run time -------------------------------------------------------------


def test_budget_set_applies_today_persists_and_is_audited(settings, key):
    settings.J1MSKY_DAILY_BUDGET = D("50")
    budget_reserve(amount=D("2"), now=NOW)
    budget_set(daily_budget=D("2.5"), owner=key.owner, actor_key=key, now=NOW)

    assert BudgetSetting.objects.get().daily_budget == D("2.5")
    assert _day().limit == D("2.5")
    with pytest.raises(BudgetExceeded):
        budget_reserve(amount=D("0.6"), now=NOW)
    budget_reserve(amount=D("0.5"), now=NOW)

    settings.J1MSKY_DAILY_BUDGET = D("99")  # the persisted value wins over the default
    assert budget_status(now=NOW).daily_budget == D("2.5")

    audit = AuditLog.objects.get(event="config.change")
    assert audit.details == {"setting": "daily_budget", "old": "50.0000", "new": "2.5000"}
    assert (audit.api_key_id, audit.owner) == (key.key_id, key.owner)


@pytest.mark.parametrize("bad", [D("-0.01"), "abc", None, D("Infinity")])
def test_budget_set_refuses_bad_values(bad):
    with pytest.raises(InvalidInput):
        budget_set(daily_budget=bad, now=NOW)
    assert not BudgetSetting.objects.exists()
    assert not AuditLog.objects.filter(event="config.change").exists()

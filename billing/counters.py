"""The counters behind admission: budget days, key budget days and provider windows.

Each take is one conditional UPDATE whose WHERE clause is the check, e.g.

    UPDATE billing_budgetday SET reserved_micros = reserved_micros + x
     WHERE day = d AND spent_micros + reserved_micros + x <= limit

so it admits or refuses atomically on SQLite and PostgreSQL alike, however many processes call
it: no lock-then-read, no check in Python. The daily budget is read by the same statement (a
subquery), so a budget changed at run time applies at once; a provider's hourly limit is given
by the caller, who owns the catalogue, and recorded on the window row. A row that does not exist
yet (first call of a day or an hour) is created with INSERT … ON CONFLICT DO NOTHING.

The takes are plain SQL: they are the hot path, and the ORM spends more time building and
compiling these statements than the database spends running them (bench/bench_budget.py).
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.db.models import F

from billing.models import BudgetDay, BudgetSetting, KeyBudgetDay, LedgerModelDay, ProviderWindow
from j1msky.money import round_cost, to_micros

_DAY = BudgetDay._meta.db_table
_KEY_DAY = KeyBudgetDay._meta.db_table
_WINDOW = ProviderWindow._meta.db_table
_SETTING = BudgetSetting._meta.db_table
_ROLLUP = LedgerModelDay._meta.db_table

# The daily budget in force: the persisted run-time value, else the default (a parameter).
_DAILY_LIMIT = f"COALESCE((SELECT daily_budget_micros FROM {_SETTING} WHERE id = 1), %s)"

_TAKE_DAY = (
    f"UPDATE {_DAY} SET reserved_micros = reserved_micros + %s, limit_micros = {_DAILY_LIMIT} "
    f"WHERE day = %s AND spent_micros + reserved_micros + %s <= {_DAILY_LIMIT}"
)
_TAKE_KEY_DAY = (
    f"UPDATE {_KEY_DAY} SET reserved_micros = reserved_micros + %s, limit_micros = %s "
    "WHERE api_key_id = %s AND day = %s AND spent_micros + reserved_micros + %s <= %s"
)
_COUNT_KEY_DAY = (  # a key without a daily budget: counted, never refused
    f"UPDATE {_KEY_DAY} SET reserved_micros = reserved_micros + %s, limit_micros = NULL "
    "WHERE api_key_id = %s AND day = %s"
)
_TAKE_WINDOW = (
    f"UPDATE {_WINDOW} SET used = used + %s, hourly_limit = %s "
    "WHERE provider = %s AND window_start = %s AND used + %s <= %s"
)


# One more call of a model on a budget day: the row is created by the day's first call and
# added to by every later one; `first_at` keeps the earliest moment whatever the commit order.
_ROLLUP_ADD = (
    f"INSERT INTO {_ROLLUP} AS r "
    "(day, model, calls, input_tokens, output_tokens, cost_micros, first_at) "
    "VALUES (%s, %s, 1, %s, %s, %s, %s) "
    "ON CONFLICT (day, model) DO UPDATE SET calls = r.calls + 1, "
    "input_tokens = r.input_tokens + excluded.input_tokens, "
    "output_tokens = r.output_tokens + excluded.output_tokens, "
    "cost_micros = r.cost_micros + excluded.cost_micros, "
    "first_at = CASE WHEN excluded.first_at < r.first_at THEN excluded.first_at "
    "ELSE r.first_at END"
)


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _day_param(day: date):
    return connection.ops.adapt_datefield_value(day)


def default_budget_micros() -> int:
    return to_micros(round_cost(settings.J1MSKY_DAILY_BUDGET))


# --- takes (one conditional UPDATE each; the row count says whether it was admitted) -----------


def take_budget_day(*, day: date, micros: int) -> bool:
    default = default_budget_micros()
    return _execute(_TAKE_DAY, [micros, default, _day_param(day), micros, default]) == 1


def take_key_day(*, api_key_id: int, day: date, micros: int, limit_micros: int | None) -> bool:
    if limit_micros is None:
        return _execute(_COUNT_KEY_DAY, [micros, api_key_id, _day_param(day)]) == 1
    params = [micros, limit_micros, api_key_id, _day_param(day), micros, limit_micros]
    return _execute(_TAKE_KEY_DAY, params) == 1


def take_window(*, provider: str, window_start: datetime, n: int, limit: int) -> bool:
    start = connection.ops.adapt_datetimefield_value(window_start)
    return _execute(_TAKE_WINDOW, [n, limit, provider, start, n, limit]) == 1


# --- rows that may not exist yet --------------------------------------------------------------


def budget_day_ensure(day: date) -> None:
    setting = BudgetSetting.objects.filter(pk=1).values_list("daily_budget_micros", flat=True)
    limit = setting.first()
    BudgetDay.objects.bulk_create(
        [BudgetDay(day=day, limit_micros=default_budget_micros() if limit is None else limit)],
        ignore_conflicts=True,
    )


def key_day_ensure(*, api_key_id: int, day: date, limit_micros: int | None) -> None:
    KeyBudgetDay.objects.bulk_create(
        [KeyBudgetDay(api_key_id=api_key_id, day=day, limit_micros=limit_micros)],
        ignore_conflicts=True,
    )


def window_ensure(*, provider: str, window_start: datetime, limit: int) -> None:
    ProviderWindow.objects.bulk_create(
        [ProviderWindow(provider=provider, window_start=window_start, hourly_limit=limit)],
        ignore_conflicts=True,
    )


# --- moves that are never refused -------------------------------------------------------------


def ledger_rollup_add(
    *, day: date, model: str, input_tokens: int, output_tokens: int, micros: int, at: datetime
) -> None:
    """Add one ledger row to its (budget day, model) rollup, in the ledger row's transaction."""
    params = [
        _day_param(day),
        model,
        input_tokens,
        output_tokens,
        micros,
        connection.ops.adapt_datetimefield_value(at),
    ]
    _execute(_ROLLUP_ADD, params)


def settle_counters(*, day: date, api_key_id: int | None, spent: int, released: int) -> None:
    """spent += `spent` and reserved -= `released`, on the budget day and the key's day."""
    changes = {
        "spent_micros": F("spent_micros") + spent,
        "reserved_micros": F("reserved_micros") - released,
    }
    BudgetDay.objects.filter(day=day).update(**changes)
    if api_key_id is not None:
        KeyBudgetDay.objects.filter(api_key_id=api_key_id, day=day).update(**changes)


def charge(*, day: date, api_key_id: int | None, key_limit: int | None, micros: int) -> None:
    """spent += micros for spend outside an open reservation (creating the rows if need be)."""
    days = BudgetDay.objects.filter(day=day)
    if not days.update(spent_micros=F("spent_micros") + micros):
        budget_day_ensure(day)
        days.update(spent_micros=F("spent_micros") + micros)
    if api_key_id is None:
        return
    key_days = KeyBudgetDay.objects.filter(api_key_id=api_key_id, day=day)
    if not key_days.update(spent_micros=F("spent_micros") + micros):
        key_day_ensure(api_key_id=api_key_id, day=day, limit_micros=key_limit)
        key_days.update(spent_micros=F("spent_micros") + micros)

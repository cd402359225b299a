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

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import connection
from django.db.models import F

from billing.models import (
    BudgetDay,
    BudgetSetting,
    KeyBudgetDay,
    LedgerEntry,
    LedgerModelDay,
    ProviderWindow,
    Reservation,
)
from j1msky.money import round_cost, to_micros
from j1msky.sql import sql_execute
from security.models import ApiKey

_DAY = BudgetDay._meta.db_table
_KEY_DAY = KeyBudgetDay._meta.db_table
_WINDOW = ProviderWindow._meta.db_table
_SETTING = BudgetSetting._meta.db_table
_ROLLUP = LedgerModelDay._meta.db_table
_RESERVATION = Reservation._meta.db_table
_LEDGER = LedgerEntry._meta.db_table
_KEY = ApiKey._meta.db_table
_OPEN = Reservation.State.OPEN

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


# A reservation's moves while it is open; each one's WHERE clause is the compare-and-set.
_RESERVATION_CHARGE = (
    f"UPDATE {_RESERVATION} SET charged_micros = charged_micros + %s "
    f"WHERE id = %s AND state = '{_OPEN}'"
)
_RESERVATION_RENEW = (
    f"UPDATE {_RESERVATION} SET lease_expires_at = %s WHERE id = %s AND state = '{_OPEN}'"
)
# open → closed; `actual_micros` is either given or what the ledger charged to the open row.
_RESERVATION_CLOSE = (
    f"UPDATE {_RESERVATION} SET state = %s, close_reason = %s, closed_at = %s, "
    "actual_micros = COALESCE(%s, charged_micros) "
    f"WHERE id = %s AND state = '{_OPEN}' {{lapsed}}"
    "RETURNING day, api_key_id, amount_micros, charged_micros, actual_micros"
)
_RESERVATION_CLOSE_ANY = _RESERVATION_CLOSE.format(lapsed="")
_RESERVATION_CLOSE_LAPSED = _RESERVATION_CLOSE.format(lapsed="AND lease_expires_at < %s ")
_SETTLE_DAY = (
    f"UPDATE {_DAY} SET spent_micros = spent_micros + %s, reserved_micros = reserved_micros - %s "
    "WHERE day = %s"
)
_SETTLE_KEY_DAY = (
    f"UPDATE {_KEY_DAY} SET spent_micros = spent_micros + %s, "
    "reserved_micros = reserved_micros - %s WHERE api_key_id = %s AND day = %s"
)


# A key's state for the cost-spike rule: whether it is suspended, and what it spent since a
# moment (or since its reinstatement, if later), in one read (the ledger's (key, time) index).
_KEY_SPEND = (
    f"SELECT k.suspended_at IS NOT NULL, COALESCE((SELECT SUM(e.cost_micros) FROM {_LEDGER} e "
    "WHERE e.api_key_id = k.id AND e.created_at >= %s "
    "AND (k.reinstated_at IS NULL OR e.created_at >= k.reinstated_at)), 0) "
    f"FROM {_KEY} k WHERE k.id = %s"
)


_AGENT_SUMS = (
    "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
    f"COALESCE(SUM(cost_micros), 0) FROM {_LEDGER} WHERE agent_id = %s"
)


def _day_param(day: date):
    return connection.ops.adapt_datefield_value(day)


def default_budget_micros() -> int:
    return to_micros(round_cost(settings.J1MSKY_DAILY_BUDGET))


# --- takes (one conditional UPDATE each; the row count says whether it was admitted) -----------


def take_budget_day(*, day: date, micros: int) -> bool:
    default = default_budget_micros()
    return sql_execute(_TAKE_DAY, [micros, default, _day_param(day), micros, default]) == 1


def take_key_day(*, api_key_id: int, day: date, micros: int, limit_micros: int | None) -> bool:
    if limit_micros is None:
        return sql_execute(_COUNT_KEY_DAY, [micros, api_key_id, _day_param(day)]) == 1
    params = [micros, limit_micros, api_key_id, _day_param(day), micros, limit_micros]
    return sql_execute(_TAKE_KEY_DAY, params) == 1


def take_window(*, provider: str, window_start: datetime, n: int, limit: int) -> bool:
    start = connection.ops.adapt_datetimefield_value(window_start)
    return sql_execute(_TAKE_WINDOW, [n, limit, provider, start, n, limit]) == 1


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
    sql_execute(_ROLLUP_ADD, params)


def settle_counters(*, day: date, api_key_id: int | None, spent: int, released: int) -> None:
    """spent += `spent` and reserved -= `released`, on the budget day and the key's day."""
    sql_execute(_SETTLE_DAY, [spent, released, _day_param(day)])
    if api_key_id is not None:
        sql_execute(_SETTLE_KEY_DAY, [spent, released, api_key_id, _day_param(day)])


# --- a reservation's own row ---------------------------------------------------------------------


def reservation_charge(*, reservation_id: int, micros: int) -> bool:
    """charged += micros on an open reservation; False when it is no longer open."""
    return sql_execute(_RESERVATION_CHARGE, [micros, reservation_id]) == 1


def reservation_renew(*, reservation_id: int, lease_expires_at: datetime) -> bool:
    """A new lease for an open reservation; False when it is no longer open."""
    expires = connection.ops.adapt_datetimefield_value(lease_expires_at)
    return sql_execute(_RESERVATION_RENEW, [expires, reservation_id]) == 1


@dataclass(frozen=True)
class Closed:
    """What a reservation's close moves the counters by."""

    day: date
    api_key_id: int | None
    amount_micros: int
    charged_micros: int
    actual_micros: int


def reservation_close(
    *,
    reservation_id: int,
    state: str,
    reason: str,
    now: datetime,
    actual_micros: int | None = None,
    expired_before: datetime | None = None,
) -> Closed | None:
    """open → `state` by compare-and-set (only with a lease lapsed before `expired_before`, when
    given); None when it was not open. The actual is `actual_micros`, or else what the ledger
    charged to the row while it was open."""
    sql = _RESERVATION_CLOSE_ANY
    params = [
        state,
        reason,
        connection.ops.adapt_datetimefield_value(now),
        actual_micros,
        reservation_id,
    ]
    if expired_before is not None:
        sql = _RESERVATION_CLOSE_LAPSED
        params.append(connection.ops.adapt_datetimefield_value(expired_before))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    day, api_key_id, amount, charged, actual = row
    if isinstance(day, str):  # SQLite hands a date column back as its text
        day = date.fromisoformat(day)
    return Closed(day, api_key_id, amount, charged, actual)


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


def key_spend_since(*, api_key_id: int, since: datetime) -> tuple[bool, int] | None:
    """(suspended, micro-dollars charged to the key since `since` or its reinstatement, if
    later); None for a key that does not exist."""
    with connection.cursor() as cursor:
        cursor.execute(_KEY_SPEND, [connection.ops.adapt_datetimefield_value(since), api_key_id])
        row = cursor.fetchone()
    return None if row is None else (bool(row[0]), int(row[1]))


def ledger_agent_sums(*, agent_id: str) -> tuple[int, int, int]:
    """(input tokens, output tokens, micro-dollars) of every ledger row of one agent run."""
    with connection.cursor() as cursor:
        cursor.execute(_AGENT_SUMS, [agent_id])
        input_tokens, output_tokens, micros = cursor.fetchone()
    return int(input_tokens), int(output_tokens), int(micros)

"""Billing reads: budget status, provider windows, usage reports and the ledger.

The definitions are those of semantics §8.1 and hold wherever these names appear:
`today_spend` = settled spend today; `reserved` = open reservations; `budget_remaining` =
max(budget − today_spend − reserved, 0); `budget_utilization_pct` = (today_spend + reserved) /
budget × 100 (0 when budget ≤ 0). Amounts are rounded here, at the edge: 4 dp, percentages 2 dp.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Min, QuerySet, Sum
from django.utils import timezone

from billing import counters
from billing.clock import budget_day, budget_resets_at, hour_window
from billing.models import (
    BudgetDay,
    BudgetSetting,
    KeyBudgetDay,
    LedgerEntry,
    LedgerModelDay,
    ProviderWindow,
)
from j1msky.errors import InsufficientPrivileges, NotFound
from j1msky.money import from_micros, round_cost, utilization_pct
from security.models import ApiKey

# --- budget -----------------------------------------------------------------------------------


def budget_daily_limit() -> Decimal:
    """The daily budget in force: the persisted run-time value, else J1MSKY_DAILY_BUDGET."""
    micros = BudgetSetting.objects.filter(pk=1).values_list("daily_budget_micros", flat=True)
    value = micros.first()
    if value is None:
        return round_cost(settings.J1MSKY_DAILY_BUDGET)
    return round_cost(from_micros(value))


@dataclass(frozen=True)
class BudgetStatus:
    day: date
    timezone: str
    daily_budget: Decimal
    today_spend: Decimal
    reserved: Decimal
    budget_remaining: Decimal
    budget_utilization_pct: Decimal
    resets_at: datetime
    simulated_spend: Decimal = Decimal("0.0000")  # the part of today_spend that was simulated


def _status(
    *, day: date, limit: Decimal, spent_micros: int, reserved_micros: int, now: datetime
) -> BudgetStatus:
    spend = round_cost(from_micros(spent_micros))
    reserved = round_cost(from_micros(reserved_micros))
    return BudgetStatus(
        day=day,
        timezone=settings.J1MSKY_TIMEZONE,
        daily_budget=limit,
        today_spend=spend,
        reserved=reserved,
        budget_remaining=max(limit - spend - reserved, Decimal("0.0000")),
        budget_utilization_pct=utilization_pct(spend + reserved, limit),
        resets_at=budget_resets_at(now),
    )


def budget_status(*, now: datetime | None = None) -> BudgetStatus:
    """Today's system-wide budget (the `GET /billing/budget` and orchestrator numbers)."""
    now = now or timezone.now()
    day = budget_day(now)
    row = BudgetDay.objects.filter(day=day).values_list("spent_micros", "reserved_micros").first()
    spent, reserved = row or (0, 0)
    status = _status(
        day=day, limit=budget_daily_limit(), spent_micros=spent, reserved_micros=reserved, now=now
    )
    simulated = LedgerEntry.objects.filter(day=day, simulated=True).aggregate(
        total=Sum("cost_micros")
    )["total"]
    return replace(status, simulated_spend=round_cost(from_micros(simulated or 0)))


def key_budget_status(*, api_key: ApiKey, now: datetime | None = None) -> BudgetStatus | None:
    """Today's numbers for a key with its own daily budget; None when it has none."""
    if api_key.daily_budget is None:
        return None
    now = now or timezone.now()
    day = budget_day(now)
    row = (
        KeyBudgetDay.objects.filter(api_key=api_key, day=day)
        .values_list("spent_micros", "reserved_micros")
        .first()
    )
    spent, reserved = row or (0, 0)
    return _status(
        day=day,
        limit=round_cost(api_key.daily_budget),
        spent_micros=spent,
        reserved_micros=reserved,
        now=now,
    )


def budget_day_list(*, start: date | None = None, end: date | None = None) -> QuerySet[BudgetDay]:
    days = BudgetDay.objects.all()
    if start:
        days = days.filter(day__gte=start)
    if end:
        days = days.filter(day__lte=end)
    return days.order_by("day")


# --- provider windows -----------------------------------------------------------------------


@dataclass(frozen=True)
class WindowStatus:
    provider: str
    used: int
    limit: int
    remaining: int
    utilization_pct: Decimal
    window_start: datetime
    reset_at: datetime


def provider_window_list(
    *, providers: list[tuple[str, int]], now: datetime | None = None
) -> list[WindowStatus]:
    """The current hourly window of each `(provider id, hourly limit)`, in the order given (the
    caller's catalogue order)."""
    now = now or timezone.now()
    start, end = hour_window(now)
    used = dict(ProviderWindow.objects.filter(window_start=start).values_list("provider", "used"))
    result = []
    for provider_id, limit in providers:
        count = used.get(provider_id, 0)
        result.append(
            WindowStatus(
                provider=provider_id,
                used=count,
                limit=limit,
                remaining=max(limit - count, 0),
                utilization_pct=utilization_pct(Decimal(count), Decimal(limit)),
                window_start=start,
                reset_at=end,
            )
        )
    return result


# --- ledger and usage -----------------------------------------------------------------------


def ledger_entry_list(
    *,
    start: date | None = None,
    end: date | None = None,
    since: datetime | None = None,
    agent_id: str | None = None,
    owner=None,
) -> QuerySet[LedgerEntry]:
    """Ledger rows, oldest first; `start`/`end` are budget days, `since` a moment."""
    entries = LedgerEntry.objects.all()
    if start is not None:
        entries = entries.filter(day__gte=start)
    if end is not None:
        entries = entries.filter(day__lte=end)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if agent_id is not None:
        entries = entries.filter(agent_id=agent_id)
    if owner is not None:
        entries = entries.filter(owner=owner)
    return entries.order_by("created_at", "pk")


@dataclass(frozen=True)
class CallTotals:
    input_tokens: int
    output_tokens: int
    cost: Decimal


def ledger_agent_totals(*, agent_id: str) -> CallTotals:
    """Tokens and cost of every call an agent run made (each row's cost as charged, 4 dp)."""
    input_tokens, output_tokens, micros = counters.ledger_agent_sums(agent_id=agent_id)
    return CallTotals(
        input_tokens=input_tokens, output_tokens=output_tokens, cost=from_micros(micros)
    )


@dataclass(frozen=True)
class ModelUsage:
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal
    first_at: datetime

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def ledger_model_summary(
    *, day: date | None = None, since: datetime | None = None
) -> list[ModelUsage]:
    """Calls, tokens and cost per model, most calls first (ties: the model seen first)."""
    rows = (
        ledger_entry_list(start=day, end=day, since=since)
        .order_by()
        .values("model")
        .annotate(
            calls=Count("pk"),
            input_tokens=Sum("input_tokens"),
            output_tokens=Sum("output_tokens"),
            cost_micros=Sum("cost_micros"),
            first_at=Min("created_at"),
        )
    )
    usage = [
        ModelUsage(
            model=row["model"],
            calls=row["calls"],
            input_tokens=row["input_tokens"] or 0,
            output_tokens=row["output_tokens"] or 0,
            cost=round_cost(from_micros(row["cost_micros"] or 0)),
            first_at=row["first_at"],
        )
        for row in rows
    ]
    return sorted(usage, key=lambda u: (-u.calls, u.first_at, u.model))


# --- the (day, model) rollup: the ledger's totals without a scan of it ---------------------------


def ledger_day_models(*, day: date) -> list[ModelUsage]:
    """`ledger_model_summary(day=day)` from the rollup: one row per model, most calls first."""
    rows = LedgerModelDay.objects.filter(day=day).values_list(
        "model", "calls", "input_tokens", "output_tokens", "cost_micros", "first_at"
    )
    usage = [
        ModelUsage(
            model=model,
            calls=calls,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=round_cost(from_micros(cost_micros)),
            first_at=first_at,
        )
        for model, calls, input_tokens, output_tokens, cost_micros, first_at in rows
    ]
    return sorted(usage, key=lambda u: (-u.calls, u.first_at, u.model))


def ledger_daily_spend(*, start: date, end: date) -> dict[date, Decimal]:
    """Spend per budget day between two days (inclusive), days with spend only, exact."""
    rows = (
        LedgerModelDay.objects.filter(day__gte=start, day__lte=end)
        .order_by("day")
        .values("day")
        .annotate(micros=Sum("cost_micros"))
        .values_list("day", "micros")
    )
    return {day: from_micros(micros) for day, micros in rows}


def ledger_first_day() -> date | None:
    """The first budget day with any ledger row, None when the ledger is empty."""
    return LedgerModelDay.objects.order_by("day").values_list("day", flat=True).first()


@dataclass(frozen=True)
class ModelTotals:
    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal


def ledger_model_totals(*, day: date | None = None) -> list[ModelTotals]:
    """Every call ever recorded (or one budget day's), per model, by model name."""
    rows = LedgerModelDay.objects.all() if day is None else LedgerModelDay.objects.filter(day=day)
    totals = (
        rows.order_by("model")
        .values("model")
        .annotate(
            n=Sum("calls"), i=Sum("input_tokens"), o=Sum("output_tokens"), c=Sum("cost_micros")
        )
        .values_list("model", "n", "i", "o", "c")
    )
    return [
        ModelTotals(model=m, calls=n, input_tokens=i, output_tokens=o, cost=from_micros(c))
        for m, n, i, o, c in totals
    ]


# A row's cost in whole ten-thousandths of a dollar (4 dp), half-up; costs are never negative.
_ROW_COST_TEN_THOUSANDTHS = (F("cost_micros") + 50) / 100


def _from_units(units: int) -> Decimal:
    return Decimal(int(units)).scaleb(-4)


@dataclass(frozen=True)
class UsageReport:
    start: date
    end: date
    owner: Any  # the owner whose spend it is; None for every owner's
    total_cost: Decimal
    by_model: dict[str, Decimal]
    by_day: dict[str, Decimal]
    simulated_cost: Decimal  # the part of total_cost from calls to the simulated backend

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def usage_owner(*, user, username: str | None):
    """Whose spend `user`'s key may read (semantics §3): its own owner's; a staff owner's key,
    every owner's (None) or the named one's."""
    if not user.is_staff:
        if username is not None and username != user.get_username():
            raise InsufficientPrivileges("Only a staff owner's key may read another owner's usage")
        return user
    if username is None:
        return None
    owner = get_user_model().objects.filter(username=username).first()
    if owner is None:
        raise NotFound(f"Owner {username} not found", code="owner_not_found")
    return owner


def usage_default_period(*, now: datetime | None = None) -> tuple[date, date]:
    """Month to date, in J1MSKY_TIMEZONE."""
    today = budget_day(now or timezone.now())
    return today.replace(day=1), today


def usage_report(*, start: date, end: date, owner=None) -> UsageReport:
    """Spend from the ledger between two budget days (inclusive), by model and by day.

    `owner` limits it to one owner's calls (None: every owner's). Every row is taken at its 4-dp
    cost (whole ten-thousandths, rounded half-up in SQL, a no-op
    for rows `ledger_record` wrote) and summed as integers, so each group is exact and
    `total_cost` equals the sum of `by_model` and the sum of `by_day` to the last digit.
    """
    entries = ledger_entry_list(start=start, end=end, owner=owner).order_by()
    cost = Sum(_ROW_COST_TEN_THOUSANDTHS)
    by_model_units = dict(
        entries.values("model").annotate(total=cost).values_list("model", "total")
    )
    by_day_units = dict(entries.values("day").annotate(total=cost).values_list("day", "total"))
    by_model = {
        model: _from_units(units)
        for model, units in sorted(by_model_units.items(), key=lambda kv: (-kv[1], kv[0]))
    }
    by_day = {day.isoformat(): _from_units(units) for day, units in sorted(by_day_units.items())}
    total = _from_units(sum(by_model_units.values()))
    simulated = entries.filter(simulated=True).aggregate(total=cost)["total"] or 0
    return UsageReport(
        start=start,
        end=end,
        owner=owner,
        total_cost=total,
        by_model=by_model,
        by_day=by_day,
        simulated_cost=_from_units(simulated),
    )

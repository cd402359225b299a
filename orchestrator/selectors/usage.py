"""What the rules read, fetched from live data: today's budget, the provider windows, the
ledger per model (today from the day rollup, the last hour through the ledger's time index),
the spend per day for the forecast, and the catalogue's active models.

None of these scans the ledger: today and the forecast read `billing.LedgerModelDay` (one row
per model and budget day), the last hour reads the rows of the last hour only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from agents.catalogue import breaker_reported_state
from agents.models import ModelAlias
from agents.selectors import provider_limits
from billing.clock import budget_day, budget_day_start
from billing.selectors import (
    BudgetStatus,
    ModelUsage,
    budget_status,
    ledger_daily_spend,
    ledger_day_models,
    ledger_first_day,
    ledger_model_summary,
    provider_window_list,
)
from orchestrator.rules import (
    BudgetFigures,
    ForecastInputs,
    ModelCalls,
    ProviderWindow,
)
from orchestrator.rules.forecast import HISTORY_DAYS

LAST_HOUR = timedelta(hours=1)


def budget_figures(status: BudgetStatus) -> BudgetFigures:
    """The rules' view of today's budget (`budget_status()`'s numbers, exact)."""
    return BudgetFigures(
        daily_budget=status.daily_budget,
        today_spend=status.today_spend,
        reserved=status.reserved,
    )


def budget_today(*, now: datetime) -> tuple[BudgetStatus, BudgetFigures]:
    status = budget_status(now=now)
    return status, budget_figures(status)


def provider_windows(*, now: datetime) -> list[ProviderWindow]:
    """Every provider's current hourly window, in catalogue order."""
    return [
        ProviderWindow(provider=w.provider, used=w.used, limit=w.limit)
        for w in provider_window_list(providers=provider_limits(), now=now)
    ]


def _model_calls(rows: list[ModelUsage]) -> list[ModelCalls]:
    return [
        ModelCalls(
            model=row.model,
            calls=row.calls,
            tokens=row.tokens,
            spend=row.cost,
            first_seen=row.first_at,
        )
        for row in rows
    ]


def model_calls_today(*, now: datetime) -> list[ModelCalls]:
    """Today's ledger per model (the budget day's rollup rows)."""
    return _model_calls(ledger_day_models(day=budget_day(now)))


def model_calls_last_hour(*, now: datetime) -> list[ModelCalls]:
    """The ledger rows of the last hour, per model (a range of the ledger's time index)."""
    return _model_calls(ledger_model_summary(since=now - LAST_HOUR))


def forecast_inputs(*, now: datetime, daily_budget) -> ForecastInputs:
    """The month so far and the seven days before today, spend per budget day."""
    today = budget_day(now)
    start = min(today.replace(day=1), today - timedelta(days=HISTORY_DAYS))
    day_start = budget_day_start(today)
    day_length = int((budget_day_start(today + timedelta(days=1)) - day_start).total_seconds())
    elapsed = min(max(int((now - day_start).total_seconds()), 0), day_length)
    return ForecastInputs(
        today=today,
        seconds_elapsed=elapsed,
        seconds_in_day=day_length,
        daily_spend=ledger_daily_spend(start=start, end=today),
        first_ledger_day=ledger_first_day(),
        daily_budget=daily_budget,
    )


def models_active_count(*, now: datetime) -> int:
    """Enabled model aliases whose provider's circuit is not open (semantics §8.1)."""
    aliases = ModelAlias.objects.filter(enabled=True).select_related("provider")
    return sum(1 for alias in aliases if breaker_reported_state(alias.provider, now=now) != "open")

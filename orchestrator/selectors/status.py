"""`GET /orchestrator/status` (semantics §8.1): the rules fed by the selectors, at one moment.

Every field of the reference, plus `pricing_guardrail_check`, in the reference's order; nothing
is a canned sample. `timestamp` is the moment in J1MSKY_TIMEZONE, with its offset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from billing.clock import budget_timezone
from orchestrator import rules
from orchestrator.selectors.previews import pricing_previews
from orchestrator.selectors.usage import (
    budget_today,
    forecast_inputs,
    model_calls_last_hour,
    model_calls_today,
    models_active_count,
    provider_windows,
)
from pricing.engine import render_time


def orchestrator_status(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    _, figures = budget_today(now=now)
    utilization = rules.budget_utilization_pct(figures)
    level = rules.budget_alert_level(utilization)
    today = model_calls_today(now=now)
    last_hour = model_calls_last_hour(now=now)
    providers = rules.provider_usage(provider_windows(now=now))
    previews = pricing_previews(now=now)
    forecast = rules.monthly_forecast(forecast_inputs(now=now, daily_budget=figures.daily_budget))
    return {
        "timestamp": render_time(now.astimezone(budget_timezone())),
        "models_active": models_active_count(now=now),
        "usage_summary": rules.usage_summary(today),
        "recent_usage": sum(row.calls for row in last_hour),
        "daily_budget": figures.daily_budget,
        "today_spend": figures.today_spend,
        "budget_remaining": rules.budget_remaining(figures),
        "budget_utilization_pct": utilization,
        "budget_alert_level": str(level),
        "operational_flags": rules.operational_flags(level, providers).as_dict(),
        "model_mix_recommendation": rules.model_mix_recommendation(level, today),
        **previews,
        "usage_anomalies": rules.usage_anomalies(last_hour),
        "monthly_forecast": forecast.as_dict(),
        "provider_usage": {p: row.as_dict() for p, row in providers.items()},
    }

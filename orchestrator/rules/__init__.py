"""The orchestrator's rules (semantics §8, §11, §14): pure functions over frozen dataclasses.

Standard library only (decimal, dataclasses, enum, datetime): no Django, no app, no I/O, no
clock. Inputs are plain values — provider ids, limits, counts, Decimals, dates — that selectors
read from live data; nothing here is a canned sample. Money is exact Decimal (a float is
refused); results round once, ROUND_HALF_UP: costs 4 dp, percentages and averages 2 dp.
Thresholds compare the rounded numbers the status shows.

What feeds each rule (the selectors that fetch it come with the Django side of the app):

- `budget` — `budget_utilization_pct`, `budget_remaining`, `budget_alert_level`: today's budget
  day as `BudgetFigures` (settled spend, open reservations, the daily budget in force).
  `budget_alert_check` (the beat job, each minute): the state remembered for today's budget day
  and the current utilization; it says which events to emit and which level change to log.
- `providers` — `provider_usage`, `operational_flags`: each provider's current hourly window
  (`ProviderWindow`: used, limit) in catalogue order, and the budget alert level.
- `usage` — `usage_summary`, `model_mix_recommendation`: today's ledger grouped by model
  (`ModelCalls`: calls, tokens, spend, the time of its first row); `usage_anomalies`: the last
  hour's ledger grouped the same way.
- `forecast` — `monthly_forecast`: spend per budget day (the month so far and the seven days
  before today), the first budget day with a ledger row, the time into today, the daily budget.
- `recommendation` — `recommend_model`: per model alias a `ModelRoute` (blended rate from the
  rate card, availability from enabled + window room + breaker state, fallback from the
  catalogue) and today's `BudgetFigures`.

The preview fields of the status (`example_task_quote`, decision, portfolio, weekly and
exception previews) are the pricing engine's and pricing selectors' own; they are not here.
"""

from .budget import (
    BUDGET_CRITICAL_EVENT,
    BUDGET_WARNING_EVENT,
    AlertLevel,
    BudgetAlerts,
    BudgetAlertState,
    BudgetFigures,
    LevelTransition,
    budget_alert_check,
    budget_alert_level,
    budget_remaining,
    budget_utilization_pct,
)
from .forecast import (
    ForecastBasis,
    ForecastInputs,
    MonthlyForecast,
    days_in_month,
    monthly_forecast,
)
from .providers import (
    OperationalFlags,
    ProviderUsage,
    ProviderWindow,
    operational_flags,
    provider_usage,
)
from .recommendation import (
    COST_ORDER,
    TASK_PREFERENCES,
    ModelRoute,
    Recommendation,
    RecommendationPath,
    model_available,
    model_fits,
    recommend_model,
)
from .usage import (
    Anomaly,
    AnomalySeverity,
    AnomalyType,
    ModelCalls,
    model_mix_recommendation,
    usage_anomalies,
    usage_summary,
)

__all__ = [
    "BUDGET_CRITICAL_EVENT",
    "BUDGET_WARNING_EVENT",
    "COST_ORDER",
    "TASK_PREFERENCES",
    "AlertLevel",
    "Anomaly",
    "AnomalySeverity",
    "AnomalyType",
    "BudgetAlertState",
    "BudgetAlerts",
    "BudgetFigures",
    "ForecastBasis",
    "ForecastInputs",
    "LevelTransition",
    "ModelCalls",
    "ModelRoute",
    "MonthlyForecast",
    "OperationalFlags",
    "ProviderUsage",
    "ProviderWindow",
    "Recommendation",
    "RecommendationPath",
    "budget_alert_check",
    "budget_alert_level",
    "budget_remaining",
    "budget_utilization_pct",
    "days_in_month",
    "model_available",
    "model_fits",
    "model_mix_recommendation",
    "monthly_forecast",
    "operational_flags",
    "provider_usage",
    "recommend_model",
    "usage_anomalies",
    "usage_summary",
]

"""Pricing engine: quotes, guardrails, decisions and pricing rollups (docs: semantics.md §10).

Pure: standard library only, no Django, no I/O, no clock (callers pass times in). Inputs are
frozen dataclasses of checked, typed values (the API's request serializers build them); the
engine checks only domain rules: a model must be on the rate card in force, at most
``scenario_count`` scenarios can be compliant, at most ``open_exceptions`` can be at risk.
Money is Decimal; rounding is ROUND_HALF_UP, once, where a value leaves the engine: costs 4 dp;
prices, markups, percentages and ratios 2 dp.

Modules: ``rates`` (rate card, policy), ``quotes`` (quote defaults, quotes, guardrail, decision,
batch), ``rollups`` (scenarios, portfolio, weekly, experiments), ``exceptions`` (aging, alert),
``health`` (a day's health), ``examples`` (status, report and orchestrator samples), ``numbers``
(rounding, rendering) and ``errors``.

Conventions this package settles where the spec leaves room:

- Item indexes in error messages are 0-based, the JSON array index: "scenario 2" is
  ``scenarios[2]`` (error field ``scenarios[2].model``, ``EngineError.index == 2``).
- Numbers inside texts ({x}, {ratio}, {avg}, ${avg}) render like Python's ``str()`` of the rounded
  value as a float: trailing zeros dropped, at least one decimal ("50.0", "16.7", "-4.55", "0.15");
  ``${cost:.2f}`` keeps exactly two decimals. See ``render_number``.
- ``recommended_price`` = max(internal_cost (4 dp) x final_markup (2 dp), minimum_price), so a
  reader can recompute it from the numbers shown; ``gross_margin_pct`` uses the rounded price and
  cost, and is 0 when the price is 0 (only possible with a minimum_price of 0).
- Averages (scenario, weekly, experiment) are means of the 2-dp margins the quotes show.
- Thresholds compare the rounded values the response shows (ratio 0.67, change 50.00, ...).
- A week-over-week change from 0 to more than 0 is ``None`` and counts as a shift whose text shows
  ``new`` in place of "{x}%": ``Approval rate shifted new``, ``Exception creation up new``.
"""

from .errors import EngineError, unsupported
from .examples import (
    EXAMPLE_PORTFOLIO,
    example_task_quote,
    pricing_report,
    pricing_status,
)
from .exceptions import (
    ExceptionCounts,
    exception_age_days,
    exception_aging,
    exception_alert,
    exception_counts,
)
from .health import DayUsage, ModelUsage, pricing_health
from .numbers import render_number, render_time, round_cost, round_money
from .quotes import (
    DEFAULT_APPROVER,
    DEFAULT_COMPLEXITY,
    DEFAULT_DELIVERY_TYPE,
    DEFAULT_INPUT_TOKENS,
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_SEGMENT,
    MAX_APPROVER_LENGTH,
    MAX_TOKENS,
    Decision,
    Guardrail,
    Quote,
    QuoteInput,
    QuoteRequest,
    batch_quotes,
    decision,
    decision_packet,
    guardrail,
    quote,
    quote_checked,
)
from .rates import (
    COMPLEXITIES,
    DEFAULT_POLICY,
    DEFAULT_RATE_CARD,
    DELIVERY_TYPES,
    SEGMENTS,
    ModelRate,
    Policy,
    RateCard,
    margin_band,
)
from .rollups import (
    DECISION_STATUSES,
    MAX_SCENARIOS,
    VARIANTS,
    DecisionOutcome,
    PortfolioCounts,
    ScenarioRequest,
    VariantOutcome,
    WeekTotals,
    evaluate_scenarios,
    experiment_summary,
    portfolio_alert,
    portfolio_summary,
    weekly_comparison,
    weekly_metrics,
)

__all__ = [
    "COMPLEXITIES",
    "DECISION_STATUSES",
    "DEFAULT_APPROVER",
    "DEFAULT_COMPLEXITY",
    "DEFAULT_DELIVERY_TYPE",
    "DEFAULT_INPUT_TOKENS",
    "DEFAULT_OUTPUT_TOKENS",
    "DEFAULT_POLICY",
    "DEFAULT_RATE_CARD",
    "DEFAULT_SEGMENT",
    "DELIVERY_TYPES",
    "EXAMPLE_PORTFOLIO",
    "MAX_APPROVER_LENGTH",
    "MAX_SCENARIOS",
    "MAX_TOKENS",
    "SEGMENTS",
    "VARIANTS",
    "DayUsage",
    "Decision",
    "DecisionOutcome",
    "EngineError",
    "ExceptionCounts",
    "Guardrail",
    "ModelRate",
    "ModelUsage",
    "Policy",
    "PortfolioCounts",
    "Quote",
    "QuoteInput",
    "QuoteRequest",
    "RateCard",
    "ScenarioRequest",
    "VariantOutcome",
    "WeekTotals",
    "batch_quotes",
    "decision",
    "decision_packet",
    "evaluate_scenarios",
    "example_task_quote",
    "exception_age_days",
    "exception_aging",
    "exception_alert",
    "exception_counts",
    "experiment_summary",
    "guardrail",
    "margin_band",
    "portfolio_alert",
    "portfolio_summary",
    "pricing_health",
    "pricing_report",
    "pricing_status",
    "quote",
    "quote_checked",
    "render_number",
    "render_time",
    "round_cost",
    "round_money",
    "unsupported",
    "weekly_comparison",
    "weekly_metrics",
]

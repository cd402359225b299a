"""The pricing previews of the status (semantics §8.1), system-wide (every owner's records).

`example_task_quote` is k2p5, 2000 tokens, medium, mid_market under the policy in force, and
`pricing_guardrail_check` its guardrail (delivery type task). The decision preview is the latest
stored decision, else the example's decision; the portfolio previews are the latest stored
scenario evaluation, else the example portfolio (k2p5 2000 medium, sonnet 3500 high, opus 5000
high); the weekly previews are this ISO week's stored decisions (and last week's); the exception
previews are the open exceptions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pricing import engine
from pricing.selectors import (
    decision_latest,
    decision_week_comparison,
    decision_week_metrics,
    exception_open_aging,
    exception_open_alert,
    policy_in_force,
    rate_card_examples,
    scenario_evaluation_latest,
)


def _portfolio(
    card: engine.RateCard, policy: engine.Policy
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`(quote_portfolio_preview, portfolio_alert_preview)`."""
    latest = scenario_evaluation_latest(owner=None)
    if latest is not None:
        return latest.summary(), latest.alert()
    evaluated = engine.evaluate_scenarios(
        engine.ScenarioRequest(engine.EXAMPLE_PORTFOLIO), card, policy
    )
    summary = {key: value for key, value in evaluated.items() if key != "results"}
    counts = engine.PortfolioCounts(
        evaluated["scenario_count"], evaluated["compliant_count"], evaluated["average_margin_pct"]
    )
    return summary, engine.portfolio_alert(counts)


def pricing_previews(*, now: datetime) -> dict[str, Any]:
    """Every pricing field of the status, in the reference's order."""
    card, policy = rate_card_examples(), policy_in_force()
    example = engine.example_task_quote(card, policy)
    check = engine.guardrail(example, engine.DEFAULT_DELIVERY_TYPE, policy)
    latest = decision_latest(owner=None)
    if latest is not None:
        decision = latest.packet()
    else:
        decision = engine.decision(example, check, generated_at=now).as_dict()
    portfolio, portfolio_alert = _portfolio(card, policy)
    return {
        "pricing_policy": policy.as_dict("orchestrator"),
        "example_task_quote": example.as_dict(),
        "pricing_guardrail_check": check.as_dict(),
        "quote_decision_preview": decision,
        "quote_portfolio_preview": portfolio,
        "portfolio_alert_preview": portfolio_alert,
        "weekly_metrics_preview": decision_week_metrics(owner=None, now=now),
        "weekly_comparison_preview": decision_week_comparison(owner=None, now=now),
        "exception_aging_preview": exception_open_aging(owner=None, now=now),
        "exception_alert_preview": exception_open_alert(owner=None, now=now),
    }

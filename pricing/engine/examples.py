"""The fixed examples the status, the report and the orchestrator show (semantics §8.1,
§10.9), and the status and report built around them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from .numbers import render_time
from .quotes import Quote, QuoteInput, guardrail, quote
from .rates import DEFAULT_POLICY, DEFAULT_RATE_CARD, SEGMENTS, Policy, RateCard

STATUS_EXAMPLES = {
    "mid_market": QuoteInput("k2p5", 1200, 600, "medium", "mid_market"),
    "enterprise": QuoteInput("sonnet", 2000, 1000, "high", "enterprise"),
    "smb": QuoteInput("k2p5", 1000, 400, "low", "smb"),
}
REPORT_SAMPLE = QuoteInput("k2p5", 1500, 600, "medium")
EXAMPLE_TASK = QuoteInput("k2p5", complexity="medium", segment="mid_market", estimated_tokens=2000)
EXAMPLE_PORTFOLIO = (
    QuoteInput("k2p5", complexity="medium", estimated_tokens=2000),
    QuoteInput("sonnet", complexity="high", estimated_tokens=3500),
    QuoteInput("opus", complexity="high", estimated_tokens=5000),
)


def example_task_quote(
    rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> Quote:
    """The orchestrator status sample (k2p5, 2000 tokens, medium, mid_market)."""
    return quote(EXAMPLE_TASK, rate_card, policy)


def pricing_status(
    rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> dict[str, Any]:
    examples = {
        segment: quote(spec, rate_card, policy) for segment, spec in STATUS_EXAMPLES.items()
    }
    return {
        "pricing_policy": policy.as_dict(),
        "example_quotes": {segment: item.as_dict() for segment, item in examples.items()},
        "guardrail_check": guardrail(examples["mid_market"], "task", policy).as_dict(),
    }


def pricing_report(
    health: Mapping[str, Any],
    generated_at: datetime,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """The daily report around a ``pricing_health`` result."""
    return {
        "generated_at": render_time(generated_at),
        "period": "daily",
        "health": {key: value for key, value in health.items() if key != "by_model"},
        "by_model": health.get("by_model", {}),
        "sample_quotes_by_segment": {
            segment: quote(replace(REPORT_SAMPLE, segment=segment), rate_card, policy).as_dict()
            for segment in SEGMENTS
        },
        "pricing_policy": policy.as_dict(),
    }

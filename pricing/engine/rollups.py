"""Rollups over many quotes and decisions: scenarios and portfolio (semantics §10.4, §10.5),
weekly metrics and comparison (§10.7), experiments (§10.8)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import EngineError
from .numbers import HUNDRED, mean, ratio, render_number, round_money
from .quotes import DEFAULT_DELIVERY_TYPE, Quote, QuoteInput, guardrail, quote
from .rates import DEFAULT_POLICY, DEFAULT_RATE_CARD, Policy, RateCard

MAX_SCENARIOS = 100
EXECUTIVE_REVIEW_RATIO = Decimal("0.67")
DECISION_STATUSES = ("approved", "escalated")
VARIANTS = ("control", "test")
MIN_EXPERIMENT_SAMPLE = 50

# --- scenarios and portfolio (§10.4, §10.5) ---------------------------------------------------


@dataclass(frozen=True)
class ScenarioRequest:
    """1 to 100 scenarios, each checked against one delivery type's threshold."""

    scenarios: Sequence[QuoteInput]
    delivery_type: str = DEFAULT_DELIVERY_TYPE


def _scenario_quote(spec: QuoteInput, index: int, rate_card: RateCard, policy: Policy) -> Quote:
    try:
        return quote(spec, rate_card, policy, where=f" in scenario {index}")
    except EngineError as error:
        raise EngineError(f"scenarios[{index}].{error.field}", error.message, index=index) from None


def evaluate_scenarios(
    request: ScenarioRequest,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """Quote and check every scenario; errors name the scenario's index."""
    quotes = [
        _scenario_quote(spec, index, rate_card, policy)
        for index, spec in enumerate(request.scenarios)
    ]
    checks = [guardrail(item, request.delivery_type, policy) for item in quotes]
    compliant = sum(check.is_compliant for check in checks)
    compliance = ratio(compliant, len(quotes))
    return {
        "delivery_type": request.delivery_type,
        "scenario_count": len(quotes),
        "compliant_count": compliant,
        "compliance_ratio": compliance,
        "needs_escalation": compliant < len(quotes),
        "requires_executive_review": compliance < EXECUTIVE_REVIEW_RATIO,
        "average_margin_pct": mean([item.gross_margin_pct for item in quotes]),
        "results": [
            {"quote": item.as_dict(), "guardrail_check": check.as_dict()}
            for item, check in zip(quotes, checks, strict=True)
        ],
    }


@dataclass(frozen=True)
class PortfolioCounts:
    """A scenario evaluation's counts; at most ``scenario_count`` can be compliant."""

    scenario_count: int = 0
    compliant_count: int = 0
    average_margin_pct: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.compliant_count > self.scenario_count:
            raise EngineError("compliant_count", "compliant_count must not exceed scenario_count")


def portfolio_summary(counts: PortfolioCounts) -> dict[str, Any]:
    compliance = ratio(counts.compliant_count, counts.scenario_count)
    return {
        "scenario_count": counts.scenario_count,
        "compliant_count": counts.compliant_count,
        "compliance_ratio": compliance,
        "requires_executive_review": counts.scenario_count > 0
        and compliance < EXECUTIVE_REVIEW_RATIO,
        "average_margin_pct": round_money(counts.average_margin_pct),
    }


def portfolio_alert(counts: PortfolioCounts) -> dict[str, Any]:
    """The first match: no scenarios, ratio < 0.67 (critical), ratio < 1 (warning), else ok."""
    count, compliant = counts.scenario_count, counts.compliant_count
    compliance = ratio(compliant, count)
    average = round_money(counts.average_margin_pct)
    if count <= 0:
        level, summary, action = "ok", "No portfolio scenarios to evaluate", "no_action"
    elif compliance < EXECUTIVE_REVIEW_RATIO:
        level, action = "critical", "route_to_executive_review"
        summary = (
            f"Portfolio executive review required: {compliant}/{count} compliant, "
            f"ratio {render_number(compliance)}"
        )
    elif compliance < 1:
        level, action = "warning", "proceed_with_caution"
        summary = f"Portfolio needs attention: {compliant}/{count} compliant"
    else:
        level, action = "ok", "send_proposal"
        summary = (
            f"Portfolio healthy: {compliant}/{count} compliant, margin {render_number(average)}%"
        )
    return {"level": level, "summary": summary, "recommended_action": action}


# --- weekly metrics and comparison (§10.7) ----------------------------------------------------


@dataclass(frozen=True)
class DecisionOutcome:
    """One decided quote as the weekly metrics count it (a missing margin counts as 0)."""

    decision_status: str
    gross_margin_pct: Decimal = Decimal(0)
    exception_created: bool = False
    exception_closed: bool = False


def weekly_metrics(outcomes: Sequence[DecisionOutcome]) -> dict[str, Any]:
    approved = sum(item.decision_status == "approved" for item in outcomes)
    return {
        "total_quotes": len(outcomes),
        "approved_count": approved,
        "escalated_count": len(outcomes) - approved,
        "approval_rate": ratio(approved, len(outcomes)),
        "avg_margin_pct": mean([round_money(item.gross_margin_pct) for item in outcomes]),
        "exceptions_created": sum(item.exception_created for item in outcomes),
        "exceptions_closed": sum(item.exception_closed for item in outcomes),
    }


@dataclass(frozen=True)
class WeekTotals:
    """The numbers of one week that the comparison reads."""

    total_quotes: int = 0
    approval_rate: Decimal = Decimal(0)
    avg_margin_pct: Decimal = Decimal(0)
    exceptions_created: int = 0

    @classmethod
    def of(cls, metrics: Mapping[str, Any]) -> WeekTotals:
        """The totals of a ``weekly_metrics`` result."""
        return cls(
            metrics["total_quotes"],
            metrics["approval_rate"],
            metrics["avg_margin_pct"],
            metrics["exceptions_created"],
        )


def relative_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """(current - previous) / previous x 100 (2 dp); from 0: 0 if still 0, else None ("new")."""
    if previous == 0:
        return round_money(Decimal(0)) if current == 0 else None
    return round_money((current - previous) / previous * HUNDRED)


# (change, text, both directions, limit): a shift when the change is strictly over the limit
SHIFT_RULES = (
    ("approval_rate_change", "Approval rate shifted", True, Decimal(15)),
    ("avg_margin_change", "Average margin shifted", True, Decimal(10)),
    ("exceptions_created_change", "Exception creation up", False, Decimal(50)),
)


def weekly_comparison(current: WeekTotals, previous: WeekTotals) -> dict[str, Any]:
    changes = {
        f"{name}_change": relative_change(
            Decimal(getattr(current, key)), Decimal(getattr(previous, key))
        )
        for name, key in (
            ("total_quotes", "total_quotes"),
            ("approval_rate", "approval_rate"),
            ("avg_margin", "avg_margin_pct"),
            ("exceptions_created", "exceptions_created"),
        )
    }
    shifts = []
    for key, text, both_ways, limit in SHIFT_RULES:
        change = changes[key]
        if change is None:
            shifts.append(f"{text} new")
        elif (abs(change) if both_ways else change) > limit:
            shifts.append(f"{text} {render_number(change)}%")
    return {
        "week_over_week_changes": changes,
        "significant_shifts": shifts,
        "requires_review": bool(shifts),
    }


# --- experiments (§10.8) ----------------------------------------------------------------------


@dataclass(frozen=True)
class VariantOutcome:
    """One decided quote of a pricing experiment."""

    variant: str
    decision_status: str
    gross_margin_pct: Decimal = Decimal(0)


def _variant_stats(group: Sequence[VariantOutcome]) -> dict[str, Any]:
    approved = sum(item.decision_status == "approved" for item in group)
    return {
        "count": len(group),
        "approval_rate": ratio(approved, len(group)),
        "avg_margin_pct": mean([round_money(item.gross_margin_pct) for item in group]),
    }


def _recommendation(control: Mapping[str, Any], test: Mapping[str, Any]) -> str:
    """On the rounded values: roll_out, discard or inconclusive."""
    if not (control["count"] and test["count"]):
        return "inconclusive"
    if (
        test["avg_margin_pct"] > control["avg_margin_pct"]
        and test["approval_rate"] >= Decimal("0.9") * control["approval_rate"]
    ):
        return "roll_out"
    if (
        test["approval_rate"] < Decimal("0.8") * control["approval_rate"]
        or test["avg_margin_pct"] < Decimal("0.9") * control["avg_margin_pct"]
    ):
        return "discard"
    return "inconclusive"


def experiment_summary(outcomes: Sequence[VariantOutcome]) -> dict[str, Any]:
    control, test = (
        _variant_stats([item for item in outcomes if item.variant == variant])
        for variant in VARIANTS
    )
    complete = control["count"] > 0 and test["count"] > 0
    return {
        "status": "complete" if complete else "in_progress",
        "control": control,
        "test": test,
        "recommendation": _recommendation(control, test),
        "min_sample_met": min(control["count"], test["count"]) >= MIN_EXPERIMENT_SAMPLE,
    }

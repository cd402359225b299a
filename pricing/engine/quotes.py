"""Quotes, guardrails and decisions (semantics §10.2, §10.3), and batch quotes (§10.9).

The quote defaults are written here once: the request serializers leave an omitted field out
and ``QuoteInput`` / ``QuoteRequest`` fill it in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from .errors import EngineError
from .numbers import HUNDRED, render_time, round_cost, round_money
from .rates import DEFAULT_POLICY, DEFAULT_RATE_CARD, SEGMENTS, Policy, RateCard, margin_band

DEFAULT_INPUT_TOKENS = 1000
DEFAULT_OUTPUT_TOKENS = 500
DEFAULT_COMPLEXITY = "medium"
DEFAULT_SEGMENT = "mid_market"
DEFAULT_DELIVERY_TYPE = "task"
DEFAULT_APPROVER = "ops-auto"
MAX_TOKENS = 10_000_000
MAX_APPROVER_LENGTH = 100


@dataclass(frozen=True)
class QuoteInput:
    """What a quote is priced from: input and output token estimates, or one
    ``estimated_tokens`` count priced at the blended rate (the pair is then not used)."""

    model: str
    estimated_input: int = DEFAULT_INPUT_TOKENS
    estimated_output: int = DEFAULT_OUTPUT_TOKENS
    complexity: str = DEFAULT_COMPLEXITY
    segment: str = DEFAULT_SEGMENT
    estimated_tokens: int | None = None


@dataclass(frozen=True)
class QuoteRequest:
    """A quote and the delivery type whose margin threshold its guardrail applies."""

    quote: QuoteInput
    delivery_type: str = DEFAULT_DELIVERY_TYPE


@dataclass(frozen=True)
class Quote:
    model: str
    complexity: str
    segment: str
    internal_cost: Decimal
    base_markup: Decimal
    segment_adjustment: Decimal
    final_markup: Decimal
    recommended_price: Decimal
    gross_margin_pct: Decimal
    margin_band: str
    estimated_input_tokens: int | None = None
    estimated_output_tokens: int | None = None
    estimated_tokens: int | None = None  # set for the single-count form only

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "model": self.model,
            "complexity": self.complexity,
            "segment": self.segment,
        }
        if self.estimated_tokens is not None:
            result["estimated_tokens"] = self.estimated_tokens
        else:
            result["estimated_input_tokens"] = self.estimated_input_tokens
            result["estimated_output_tokens"] = self.estimated_output_tokens
        return result | {
            "internal_cost": self.internal_cost,
            "base_markup": self.base_markup,
            "segment_adjustment": self.segment_adjustment,
            "final_markup": self.final_markup,
            "recommended_price": self.recommended_price,
            "gross_margin_pct": self.gross_margin_pct,
            "margin_band": self.margin_band,
        }


def _tokens_and_cost(spec: QuoteInput, rate_card: RateCard, where: str) -> tuple[dict, Decimal]:
    """The token fields the quote shows and its exact (unrounded) cost."""
    rate = rate_card.rate(spec.model, where=where)
    if spec.estimated_tokens is not None:
        return {"estimated_tokens": spec.estimated_tokens}, (
            Decimal(spec.estimated_tokens) * rate.blended / 1000
        )
    tokens = {
        "estimated_input_tokens": spec.estimated_input,
        "estimated_output_tokens": spec.estimated_output,
    }
    cost = Decimal(spec.estimated_input) * rate.input + Decimal(spec.estimated_output) * rate.output
    return tokens, cost / 1000


def quote(
    spec: QuoteInput,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
    *,
    where: str = "",
) -> Quote:
    """Price a quote: cost (4 dp) x (complexity markup + segment adjustment), at least the
    minimum price (2 dp); the margin from the rounded price and cost (0 for a price of 0)."""
    tokens, exact_cost = _tokens_and_cost(spec, rate_card, where)
    base = policy.complexity_markup[spec.complexity]
    adjustment = policy.segment_adjustments[spec.segment]
    final_markup = round_money(base + adjustment)
    cost = round_cost(exact_cost)
    price = round_money(max(cost * final_markup, policy.minimum_price))
    margin = round_money((price - cost) / price * HUNDRED) if price else round_money(Decimal(0))
    return Quote(
        model=spec.model,
        complexity=spec.complexity,
        segment=spec.segment,
        internal_cost=cost,
        base_markup=round_money(base),
        segment_adjustment=round_money(adjustment),
        final_markup=final_markup,
        recommended_price=price,
        gross_margin_pct=margin,
        margin_band=margin_band(margin, policy),
        **tokens,
    )


@dataclass(frozen=True)
class Guardrail:
    delivery_type: str
    minimum_margin_pct: Decimal
    actual_margin_pct: Decimal
    is_compliant: bool
    action: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivery_type": self.delivery_type,
            "minimum_margin_pct": self.minimum_margin_pct,
            "actual_margin_pct": self.actual_margin_pct,
            "is_compliant": self.is_compliant,
            "action": self.action,
        }


def guardrail(
    quote: Quote, delivery_type: str = DEFAULT_DELIVERY_TYPE, policy: Policy = DEFAULT_POLICY
) -> Guardrail:
    """Compliant when the margin meets the delivery type's threshold."""
    threshold = round_money(policy.margin_thresholds[delivery_type])
    compliant = quote.gross_margin_pct >= threshold
    return Guardrail(
        delivery_type=delivery_type,
        minimum_margin_pct=threshold,
        actual_margin_pct=quote.gross_margin_pct,
        is_compliant=compliant,
        action="approve_quote" if compliant else "escalate_deal_desk",
    )


def quote_checked(
    request: QuoteRequest, rate_card: RateCard = DEFAULT_RATE_CARD, policy: Policy = DEFAULT_POLICY
) -> tuple[Quote, Guardrail]:
    """The quote of a request and its guardrail check."""
    priced = quote(request.quote, rate_card, policy)
    return priced, guardrail(priced, request.delivery_type, policy)


@dataclass(frozen=True)
class Decision:
    quote: Quote
    guardrail: Guardrail
    decision_status: str
    approver: str
    next_step: str
    generated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """The decision packet (quote and guardrail are rendered by their own ``as_dict``)."""
        return decision_packet(
            decision_status=self.decision_status,
            approver=self.approver,
            delivery_type=self.guardrail.delivery_type,
            next_step=self.next_step,
            generated_at=self.generated_at,
        )


def decision_packet(
    *,
    decision_status: str,
    approver: str,
    delivery_type: str,
    next_step: str,
    generated_at: datetime,
) -> dict[str, Any]:
    """The decision packet of §10.3, of a new decision or a stored one."""
    return {
        "decision_status": decision_status,
        "approver": approver,
        "delivery_type": delivery_type,
        "next_step": next_step,
        "generated_at": render_time(generated_at),
    }


def decision(
    quote: Quote,
    guardrail: Guardrail,
    approver: str | None = DEFAULT_APPROVER,
    *,
    generated_at: datetime,
) -> Decision:
    """Approve a compliant quote, escalate the rest; a blank approver means ``ops-auto``."""
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise EngineError("generated_at", "generated_at must be timezone-aware")
    approved = guardrail.is_compliant
    return Decision(
        quote=quote,
        guardrail=guardrail,
        decision_status="approved" if approved else "escalated",
        approver=(approver or "").strip() or DEFAULT_APPROVER,
        next_step="send_quote" if approved else "route_to_deal_desk",
        generated_at=generated_at,
    )


def batch_quotes(
    request: QuoteRequest,
    rate_card: RateCard = DEFAULT_RATE_CARD,
    policy: Policy = DEFAULT_POLICY,
) -> dict[str, Any]:
    """One quote per segment (enterprise, mid_market, smb, startup; the request's own segment
    is not used); the comparison's ties go to the first segment."""
    quotes = {
        segment: quote(replace(request.quote, segment=segment), rate_card, policy)
        for segment in SEGMENTS
    }
    best_value = min(SEGMENTS, key=lambda s: quotes[s].recommended_price)
    best_margin = max(SEGMENTS, key=lambda s: quotes[s].gross_margin_pct)
    spec = request.quote
    return {
        "input_params": {
            "model": spec.model,
            "complexity": spec.complexity,
            "estimated_input": spec.estimated_input,
            "estimated_output": spec.estimated_output,
            "delivery_type": request.delivery_type,
        },
        "quotes_by_segment": {
            segment: {
                "quote": item.as_dict(),
                "guardrail_check": guardrail(item, request.delivery_type, policy).as_dict(),
            }
            for segment, item in quotes.items()
        },
        "comparison": {
            "best_value_segment": best_value,
            "best_value_price": quotes[best_value].recommended_price,
            "highest_margin_segment": best_margin,
            "highest_margin_pct": quotes[best_margin].gross_margin_pct,
        },
    }

"""Quotes, decisions and scenario evaluations (semantics §10.2-10.4)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from j1msky.errors import Conflict
from j1msky.events import event_emit
from pricing import engine
from pricing.errors import engine_errors
from pricing.models import Decision, PricingPolicy, Quote, ScenarioEvaluation
from pricing.selectors import pricing_policy_current, quote_get, rate_card_current

# --- quotes -----------------------------------------------------------------------------------


def _quote_store(
    *,
    owner,
    policy: PricingPolicy,
    quote: engine.Quote,
    check: engine.Guardrail,
    now: datetime,
) -> Quote:
    row = Quote.objects.create(
        owner=owner,
        policy=policy,
        model=quote.model,
        complexity=quote.complexity,
        segment=quote.segment,
        delivery_type=check.delivery_type,
        estimated_input_tokens=quote.estimated_input_tokens,
        estimated_output_tokens=quote.estimated_output_tokens,
        estimated_tokens=quote.estimated_tokens,
        internal_cost=quote.internal_cost,
        base_markup=quote.base_markup,
        segment_adjustment=quote.segment_adjustment,
        final_markup=quote.final_markup,
        recommended_price=quote.recommended_price,
        gross_margin_pct=quote.gross_margin_pct,
        margin_band=quote.margin_band,
        minimum_margin_pct=check.minimum_margin_pct,
        is_compliant=check.is_compliant,
        action=check.action,
        created_at=now,
    )
    event_emit(
        type="pricing.quote_generated",
        owner=owner,
        data={
            "quote_id": row.quote_id,
            "quote": quote.as_dict(),
            "guardrail_check": check.as_dict(),
        },
    )
    return row


def _quote_price(
    request: engine.QuoteRequest,
) -> tuple[PricingPolicy, engine.Quote, engine.Guardrail]:
    """The policy in force, and the request's quote and guardrail check under it."""
    policy = pricing_policy_current()
    with engine_errors():
        quote, check = engine.quote_checked(request, rate_card_current(), policy.to_engine())
    return policy, quote, check


@transaction.atomic
def quote_create(*, owner, request: engine.QuoteRequest, now: datetime | None = None) -> Quote:
    """Price and store a quote (`POST /pricing/quote`); emits `pricing.quote_generated`."""
    policy, quote, check = _quote_price(request)
    return _quote_store(
        owner=owner, policy=policy, quote=quote, check=check, now=now or timezone.now()
    )


# --- decisions --------------------------------------------------------------------------------


def _already_decided(quote: Quote) -> Conflict:
    return Conflict(f"Quote {quote.quote_id} already has a decision", code="quote_already_decided")


def _stored_quote_claim(*, owner, quote_id: str) -> Quote:
    """The owner's stored quote (404 for anyone else's), locked, if it has no decision yet."""
    quote = Quote.objects.select_for_update().get(pk=quote_get(owner=owner, quote_id=quote_id).pk)
    if Decision.objects.filter(quote=quote).exists():
        raise _already_decided(quote)
    return quote


def _decision_events(*, decision: Decision, priced: engine.Quote, check: engine.Guardrail) -> None:
    """`pricing.quote_approved` or `pricing.quote_escalated`, and `pricing.margin_alert` when
    the quote misses its margin threshold."""
    ids = {"decision_id": decision.decision_id, "quote_id": decision.quote.quote_id}
    event_emit(
        type=f"pricing.quote_{decision.decision_status}",
        owner=decision.owner,
        data={
            **ids,
            "decision": decision.packet(),
            "quote": priced.as_dict(),
            "guardrail_check": check.as_dict(),
        },
    )
    if check.is_compliant:
        return
    event_emit(
        type="pricing.margin_alert",
        owner=decision.owner,
        data={
            **ids,
            "model": priced.model,
            "segment": priced.segment,
            "delivery_type": check.delivery_type,
            "recommended_price": priced.recommended_price,
            "minimum_margin_pct": check.minimum_margin_pct,
            "actual_margin_pct": check.actual_margin_pct,
            "action": check.action,
        },
    )


@transaction.atomic
def decision_create(
    *,
    owner,
    request: engine.QuoteRequest | None = None,
    quote_id: str | None = None,
    approver: str | None = None,
    now: datetime | None = None,
) -> Decision:
    """Approve a compliant quote, escalate the rest (§10.3), and store the decision.

    Either prices and stores a new quote from `request` (as `quote_create`, emitting
    `pricing.quote_generated`) or decides on the owner's stored quote `quote_id`, which must have
    no decision yet. Emits the decision's events (`_decision_events`).
    """
    now = now or timezone.now()
    if quote_id is not None:
        quote = _stored_quote_claim(owner=owner, quote_id=quote_id)
        priced, check = quote.to_engine(), quote.guardrail()
    else:
        policy, priced, check = _quote_price(request)
        quote = _quote_store(owner=owner, policy=policy, quote=priced, check=check, now=now)
    outcome = engine.decision(priced, check, approver, generated_at=now)
    try:
        with transaction.atomic():
            decision = Decision.objects.create(
                owner=owner,
                quote=quote,
                decision_status=outcome.decision_status,
                approver=outcome.approver,
                delivery_type=check.delivery_type,
                next_step=outcome.next_step,
                created_at=now,
            )
    except IntegrityError:
        raise _already_decided(quote) from None
    _decision_events(decision=decision, priced=priced, check=check)
    return decision


# --- scenarios --------------------------------------------------------------------------------


@transaction.atomic
def scenario_evaluate(
    *, owner, request: engine.ScenarioRequest, now: datetime | None = None
) -> ScenarioEvaluation:
    """Evaluate up to 100 scenarios (§10.4) and store the evaluation (the latest feeds the
    portfolio previews). `results` holds `{quote, guardrail_check}` per scenario."""
    policy = pricing_policy_current()
    with engine_errors():
        result = engine.evaluate_scenarios(request, rate_card_current(), policy.to_engine())
    return ScenarioEvaluation.objects.create(
        owner=owner,
        policy=policy,
        delivery_type=result["delivery_type"],
        scenario_count=result["scenario_count"],
        compliant_count=result["compliant_count"],
        compliance_ratio=result["compliance_ratio"],
        needs_escalation=result["needs_escalation"],
        requires_executive_review=result["requires_executive_review"],
        average_margin_pct=result["average_margin_pct"],
        results=result["results"],
        created_at=now or timezone.now(),
    )

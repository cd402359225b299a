"""Quotes, decisions and scenario evaluations (semantics §10.2-10.4)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from j1msky.errors import Conflict, InvalidInput, NotFound
from j1msky.events import event_emit
from pricing import engine
from pricing.errors import engine_errors
from pricing.models import Decision, PricingPolicy, Quote, ScenarioEvaluation
from pricing.selectors import pricing_policy_current, rate_card_current

# --- quotes -----------------------------------------------------------------------------------


def quote_price(
    *,
    model: Any,
    estimated_input: Any = None,
    estimated_output: Any = None,
    estimated_tokens: Any = None,
    complexity: Any = None,
    segment: Any = None,
    delivery_type: Any = None,
    rate_card: engine.RateCard,
    policy: engine.Policy,
) -> tuple[engine.Quote, engine.Guardrail]:
    """Price one quote from raw input (None takes the §10.2 default) and check its guardrail.

    `estimated_tokens` selects the single-count form (blended rate) and excludes the pair."""
    common = {
        "complexity": "medium" if complexity is None else complexity,
        "segment": "mid_market" if segment is None else segment,
        "rate_card": rate_card,
        "policy": policy,
    }
    with engine_errors():
        if model is None:
            raise engine.EngineError("model", "model is required")
        if estimated_tokens is not None:
            if estimated_input is not None or estimated_output is not None:
                raise engine.EngineError(
                    "estimated_tokens",
                    "Give estimated_tokens or estimated_input/estimated_output, not both",
                )
            quote = engine.quote_from_tokens(model, estimated_tokens, **common)
        else:
            quote = engine.quote(
                model,
                1000 if estimated_input is None else estimated_input,
                500 if estimated_output is None else estimated_output,
                **common,
            )
        check = engine.guardrail(quote, "task" if delivery_type is None else delivery_type, policy)
    return quote, check


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


@transaction.atomic
def quote_create(
    *,
    owner,
    model: Any,
    estimated_input: Any = None,
    estimated_output: Any = None,
    estimated_tokens: Any = None,
    complexity: Any = None,
    segment: Any = None,
    delivery_type: Any = None,
    now: datetime | None = None,
) -> Quote:
    """Price and store a quote (`POST /pricing/quote`); emits `pricing.quote_generated`."""
    policy = pricing_policy_current()
    quote, check = quote_price(
        model=model,
        estimated_input=estimated_input,
        estimated_output=estimated_output,
        estimated_tokens=estimated_tokens,
        complexity=complexity,
        segment=segment,
        delivery_type=delivery_type,
        rate_card=rate_card_current(),
        policy=policy.to_engine(),
    )
    return _quote_store(
        owner=owner, policy=policy, quote=quote, check=check, now=now or timezone.now()
    )


# --- decisions --------------------------------------------------------------------------------


@transaction.atomic
def decision_create(
    *,
    owner,
    approver: Any = None,
    quote: Quote | None = None,
    now: datetime | None = None,
    **quote_fields: Any,
) -> Decision:
    """Approve a compliant quote, escalate the rest (§10.3), and store the decision.

    Either prices a new quote from `quote_fields` (as `quote_create`, emitting
    `pricing.quote_generated`) or decides on a stored `quote` of the same owner that has no
    decision yet. Emits `pricing.quote_approved` or `pricing.quote_escalated`, and
    `pricing.margin_alert` when the quote misses its margin threshold.
    """
    now = now or timezone.now()
    if quote is not None:
        if quote.owner_id != owner.pk:
            raise NotFound(f"Quote {quote.quote_id} not found", code="quote_not_found")
        given = sorted(name for name, value in quote_fields.items() if value is not None)
        if given:
            message = f"Give quote_id or quote fields ({', '.join(given)}), not both"
            raise InvalidInput(message, details={"quote_id": [message]})
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if Decision.objects.filter(quote=quote).exists():
            raise Conflict(
                f"Quote {quote.quote_id} already has a decision", code="quote_already_decided"
            )
        priced, check = quote.to_engine(), quote.guardrail()
    else:
        policy = pricing_policy_current()
        priced, check = quote_price(
            rate_card=rate_card_current(), policy=policy.to_engine(), **quote_fields
        )
        quote = _quote_store(owner=owner, policy=policy, quote=priced, check=check, now=now)
    with engine_errors():
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
        raise Conflict(
            f"Quote {quote.quote_id} already has a decision", code="quote_already_decided"
        ) from None
    ids = {"decision_id": decision.decision_id, "quote_id": quote.quote_id}
    event_emit(
        type=f"pricing.quote_{outcome.decision_status}",
        owner=owner,
        data={
            **ids,
            "decision": decision.packet(),
            "quote": priced.as_dict(),
            "guardrail_check": check.as_dict(),
        },
    )
    if not check.is_compliant:
        event_emit(
            type="pricing.margin_alert",
            owner=owner,
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
    return decision


# --- scenarios --------------------------------------------------------------------------------


@transaction.atomic
def scenario_evaluate(
    *, owner, scenarios: Any, delivery_type: Any = None, now: datetime | None = None
) -> ScenarioEvaluation:
    """Evaluate up to 100 scenarios (§10.4) and store the evaluation (the latest feeds the
    portfolio previews). `results` holds `{quote, guardrail_check}` per scenario."""
    policy = pricing_policy_current()
    with engine_errors():
        result = engine.evaluate_scenarios(
            scenarios,
            "task" if delivery_type is None else delivery_type,
            rate_card_current(),
            policy.to_engine(),
        )
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

"""The usage ledger: one durable row per provider call, the one source of spend.

Billing knows models and providers by name: the caller prices a call by giving the rates of
its rate card, and they are kept on the row, so a later change of the rate card never rewrites
what was charged.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import counters
from billing.clock import budget_day
from billing.models import LedgerEntry, Reservation
from billing.services.reservations import charged_to_open_reservation
from j1msky.money import from_micros, round_cost, to_micros, token_cost
from security.models import ApiKey
from security.services import api_key_suspend

SPIKE_WINDOW = timedelta(hours=1)


def _charge(micros: int, *, reservation: Reservation | None, api_key: ApiKey | None, now) -> date:
    """Count a call's cost once; returns the budget day it counts against."""
    if reservation is not None:
        if not charged_to_open_reservation(reservation=reservation, micros=micros):
            # Settled or reaped already: its counters have moved, so charge this call directly.
            counters.charge(
                day=reservation.day,
                api_key_id=reservation.api_key_id,
                key_limit=None,
                micros=micros,
            )
        return reservation.day
    day = budget_day(now)
    key_limit = None
    if api_key is not None and api_key.daily_budget is not None:
        key_limit = to_micros(round_cost(api_key.daily_budget))
    counters.charge(
        day=day,
        api_key_id=api_key.pk if api_key is not None else None,
        key_limit=key_limit,
        micros=micros,
    )
    return day


@transaction.atomic
def ledger_record(
    *,
    agent_id: str | None = None,
    step: int | None = None,
    owner,
    api_key: ApiKey | None,
    model: str,
    provider: str,
    input_rate: Decimal,
    output_rate: Decimal,
    input_tokens: int,
    output_tokens: int,
    reservation: Reservation | None = None,
    simulated: bool = False,
    now: datetime | None = None,
) -> LedgerEntry:
    """Record one provider call of `model` (an alias) on `provider` at the rates given (USD/1K).

    cost = in/1000 × input_rate + out/1000 × output_rate, 4 dp ROUND_HALF_UP, per row. Against an
    open reservation the cost is charged when the reservation settles or is released; otherwise
    (no reservation, or one that already closed) it is charged to spent now. Either way every
    recorded call is counted exactly once, on the reservation's budget day or else today's.
    The (day, model) rollup (`LedgerModelDay`) and the key's cost-spike check take the call in
    the same transaction."""
    now = now or timezone.now()
    micros = to_micros(
        token_cost(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            input_rate=input_rate,
            output_rate=output_rate,
        )
    )
    day = _charge(micros, reservation=reservation, api_key=api_key, now=now)
    counters.ledger_rollup_add(
        day=day,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        micros=micros,
        at=now,
    )
    entry = LedgerEntry.objects.create(
        created_at=now,
        day=day,
        agent_id=agent_id,
        step=step,
        owner=owner,
        api_key=api_key,
        reservation=reservation,
        model=model,
        provider=provider,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        input_rate=input_rate,
        output_rate=output_rate,
        cost_micros=micros,
        simulated=simulated,
    )
    return _spike_checked(entry)


def _spike_checked(entry: LedgerEntry) -> LedgerEntry:
    if entry.api_key is not None and entry.cost_micros:
        cost_spike_check(api_key=entry.api_key, now=entry.created_at)
    return entry


def cost_spike_check(*, api_key: ApiKey, now: datetime) -> bool:
    """Suspend a key whose spend over the trailing hour (since its reinstatement, if later)
    exceeds `J1MSKY_COST_SPIKE_LIMIT` (semantics §12.7); True when this call suspended it.

    Run with each ledger row, in its transaction: the key is suspended before the call's
    recording commits, so no spawn after it is admitted and no waiting run of it starts."""
    since = now - SPIKE_WINDOW
    state = counters.key_spend_since(api_key_id=api_key.pk, since=since)
    if state is None or state[0]:
        return False
    spend = from_micros(state[1])
    limit = settings.J1MSKY_COST_SPIKE_LIMIT
    if spend <= limit:
        return False
    reinstated_at = ApiKey.objects.filter(pk=api_key.pk).values_list("reinstated_at", flat=True)[0]
    if reinstated_at is not None and reinstated_at > since:
        since = reinstated_at
    return api_key_suspend(
        key=api_key,
        reason="cost_spike",
        details={
            "spend": spend,
            "limit": limit,
            "window_minutes": int(SPIKE_WINDOW.total_seconds() // 60),
            "since": since,
        },
    )

"""Budget reservations: the worst case held against a budget day, and how it ends.

A reservation is taken by conditional UPDATEs (billing/counters.py), settled to the ledger's
actual cost or released, each exactly once by compare-and-set; a reservation whose holder stops
renewing its lease is released by the reaper, unless the holder's owner says it lives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing import counters
from billing.clock import budget_day, budget_resets_at
from billing.errors import BudgetExceeded
from billing.models import BudgetDay, BudgetSetting, KeyBudgetDay, Reservation
from billing.services.takes import _positive_int, _take_or_create
from j1msky.money import from_micros, round_cost, round_cost_up, to_micros
from security.models import ApiKey

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 600
REAP_BATCH = 1000


def _key_limit_micros(api_key: ApiKey) -> int | None:
    if api_key.daily_budget is None:
        return None
    return to_micros(round_cost(api_key.daily_budget))


def _budget_refusal(
    *, row: BudgetDay | KeyBudgetDay, api_key: ApiKey | None, requested: Decimal, now: datetime
) -> BudgetExceeded:
    if api_key is None:
        setting = BudgetSetting.objects.filter(pk=1).first()
        limit = setting.daily_budget if setting else from_micros(counters.default_budget_micros())
    else:
        limit = from_micros(_key_limit_micros(api_key) or 0)
    return BudgetExceeded(
        scope="global" if api_key is None else "api_key",
        limit=limit,
        today_spend=row.spent,
        reserved=row.reserved,
        requested=requested,
        resets_at=budget_resets_at(now),
        api_key_id=api_key.key_id if api_key is not None else None,
    )


def _reservation_open(
    *,
    amount: Decimal,
    owner,
    api_key: ApiKey | None,
    holder: str,
    lease_seconds: int,
    provider_slots: dict[str, int],
    now: datetime,
) -> Reservation:
    """Insert the reservation row first: it contends with nobody, so the hot counter rows taken
    after it stay locked only from their UPDATE to the commit. A refusal rolls it back."""
    requested = round_cost_up(amount)
    if requested < 0:
        raise ValueError("amount must not be negative")
    _positive_int(lease_seconds, "lease_seconds")
    return Reservation.objects.create(
        day=budget_day(now),
        owner=owner,
        api_key=api_key,
        amount_micros=to_micros(requested),
        provider_slots=dict(provider_slots),
        holder=holder[:255],
        created_at=now,
        lease_expires_at=now + timedelta(seconds=lease_seconds),
    )


def _budget_take(*, reservation: Reservation, api_key: ApiKey | None, now: datetime) -> None:
    """Reserve the amount on the budget day, then on the key's budget day; raise if refused."""
    day, micros = reservation.day, reservation.amount_micros
    refused = _take_or_create(
        lambda: counters.take_budget_day(day=day, micros=micros),
        BudgetDay.objects.filter(day=day),
        lambda: counters.budget_day_ensure(day),
    )
    if refused is not None:
        raise _budget_refusal(row=refused, api_key=None, requested=reservation.amount, now=now)
    if api_key is None:
        return
    key_limit = _key_limit_micros(api_key)
    refused = _take_or_create(
        lambda: counters.take_key_day(
            api_key_id=api_key.pk, day=day, micros=micros, limit_micros=key_limit
        ),
        KeyBudgetDay.objects.filter(api_key=api_key, day=day),
        lambda: counters.key_day_ensure(api_key_id=api_key.pk, day=day, limit_micros=key_limit),
    )
    if refused is not None:
        raise _budget_refusal(row=refused, api_key=api_key, requested=reservation.amount, now=now)


# --- how a reservation ends -----------------------------------------------------------------


def _reservation_close(
    *,
    reservation_id: int,
    state: str,
    reason: str,
    actual: Decimal | None,
    now: datetime,
    expired_before: datetime | None = None,
) -> counters.Closed | None:
    """Compare-and-set open → `state`, then move the counters once. None when it was not open.

    Settled from the ledger (no `actual`), the actual is what the ledger charged to the open
    row: the same compare-and-set writes it, so no charge lands on a row that is no longer open.
    """
    given = None if actual is None else to_micros(round_cost(actual))
    closed = counters.reservation_close(
        reservation_id=reservation_id,
        state=state,
        reason=reason,
        now=now,
        actual_micros=given,
        expired_before=expired_before,
    )
    if closed is None:
        return None
    if given is not None and given < closed.charged_micros:
        raise ValueError(  # rolls the close back with the caller's transaction
            f"actual {from_micros(given)} is below the {from_micros(closed.charged_micros)} "
            "the ledger already recorded against this reservation"
        )
    counters.settle_counters(
        day=closed.day,
        api_key_id=closed.api_key_id,
        spent=closed.actual_micros,
        released=closed.amount_micros,
    )
    if closed.actual_micros > closed.amount_micros:
        # The provider used more than the worst case reserved. Spent records the truth and may
        # now exceed the budget; later admissions are refused until the day resets.
        logger.warning(
            "reservation %s settled at %s, above the %s reserved",
            reservation_id,
            from_micros(closed.actual_micros),
            from_micros(closed.amount_micros),
        )
    return closed


@transaction.atomic
def budget_settle(
    *, reservation: Reservation, actual: Decimal | None = None, now: datetime | None = None
) -> Reservation:
    """Settle an open reservation: spent += actual and reserved -= the reserved amount, at once.

    `actual` defaults to the sum of the ledger rows recorded against the reservation (each
    rounded already), which keeps spent equal to the ledger; pass it only for spend that has no
    ledger rows (it may not be less than they sum to). Idempotent: a reservation that is no
    longer open is returned unchanged (check `state`), so a retried task never charges twice.
    An actual above the reservation is still charged in full (spent may exceed the budget).
    """
    _reservation_close(
        reservation_id=reservation.pk,
        state=Reservation.State.SETTLED,
        reason="settled",
        actual=actual,
        now=now or timezone.now(),
    )
    return Reservation.objects.get(pk=reservation.pk)


@transaction.atomic
def budget_release(
    *, reservation: Reservation, reason: str = "released", now: datetime | None = None
) -> Reservation:
    """Release an open reservation (failure, cancel): the unused amount goes back to the budget.

    Ledger rows already recorded against it are still charged (a cancelled run pays for what the
    provider used); `refund` on the result is what went back. Idempotent like settle.
    """
    _reservation_close(
        reservation_id=reservation.pk,
        state=Reservation.State.RELEASED,
        reason=reason[:32],
        actual=None,
        now=now or timezone.now(),
    )
    return Reservation.objects.get(pk=reservation.pk)


def reservation_renew(
    *, reservation: Reservation, lease_seconds: int, now: datetime | None = None
) -> bool:
    """Extend the holder's lease; False when the reservation is no longer open (reaped)."""
    _positive_int(lease_seconds, "lease_seconds")
    now = now or timezone.now()
    return counters.reservation_renew(
        reservation_id=reservation.pk, lease_expires_at=now + timedelta(seconds=lease_seconds)
    )


# Which of the given holders are still alive: asked of the code that owns them (the agents app
# knows whether the agent holding `agent:<id>` still waits or runs).
HoldersAlive = Callable[[list[str]], set[str]]


def reservation_reap(
    *,
    now: datetime | None = None,
    batch: int = REAP_BATCH,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    holders_alive: HoldersAlive | None = None,
) -> int:
    """Release open reservations whose lease expired (their holder died); how many were released.

    A lapsed reservation whose holder `holders_alive` vouches for gets a new lease instead. Each
    release is its own compare-and-set transaction, so concurrent reapers, a late settle or a
    renewal racing the reaper all resolve to exactly one outcome.
    """
    now = now or timezone.now()
    expired = list(
        Reservation.objects.filter(state=Reservation.State.OPEN, lease_expires_at__lt=now)
        .order_by("lease_expires_at", "pk")
        .values_list("pk", "holder")[:batch]
    )
    alive = holders_alive([holder for _, holder in expired]) if holders_alive and expired else set()
    if alive:
        Reservation.objects.filter(
            pk__in=[pk for pk, holder in expired if holder in alive],
            state=Reservation.State.OPEN,
        ).update(lease_expires_at=now + timedelta(seconds=lease_seconds))
    released = 0
    for pk, holder in expired:
        if holder in alive:
            continue
        with transaction.atomic():
            closed = _reservation_close(
                reservation_id=pk,
                state=Reservation.State.RELEASED,
                reason="lease_expired",
                actual=None,
                now=now,
                expired_before=now,
            )
        if closed is not None:
            released += 1
            logger.warning(
                "released reservation %s of %s (holder %r): lease expired",
                pk,
                from_micros(closed.amount_micros),
                holder,
            )
    return released


def charged_to_open_reservation(*, reservation: Reservation, micros: int) -> bool:
    """Add a call's cost to an open reservation (charged when it closes); False if closed."""
    return counters.reservation_charge(reservation_id=reservation.pk, micros=micros)

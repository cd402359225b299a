"""Admission: a spawn's provider-window slots and its worst-case reservation, all or nothing.

Admission is atomic (DESIGN invariant 3): each check is the WHERE clause of the UPDATE that takes
the capacity (billing/counters.py), and one transaction holds them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import Reservation
from billing.services.reservations import (
    DEFAULT_LEASE_SECONDS,
    _budget_take,
    _reservation_open,
)
from billing.services.windows import WindowSlots, _window_take
from security.models import ApiKey


@transaction.atomic
def admission_reserve(
    *,
    owner,
    api_key: ApiKey | None,
    amount: Decimal,
    windows: Sequence[WindowSlots],
    holder: str,
    lease_seconds: int,
    now: datetime | None = None,
) -> Reservation:
    """Admit a spawn: take its provider-window slots and reserve its worst-case cost, together.

    One transaction (a savepoint inside the caller's): either every slot and the global and
    per-key reservations are taken, or nothing is and ProviderRateLimited (429) or
    BudgetExceeded (402) is raised. Windows are checked first (semantics §7.1), one entry per
    provider; the caller gives each provider's hourly limit. Slots are not given back when the
    reservation is released: they count planned provider calls.
    """
    now = now or timezone.now()
    reservation = _reservation_open(
        amount=amount,
        owner=owner,
        api_key=api_key,
        holder=holder,
        lease_seconds=lease_seconds,
        provider_slots={w.provider: w.calls for w in windows},
        now=now,
    )
    for slots in sorted(windows, key=lambda w: w.provider):  # the lock order: by provider id
        _window_take(slots=slots, now=now)
    _budget_take(reservation=reservation, api_key=api_key, now=now)
    return reservation


def budget_reserve(
    *,
    amount: Decimal,
    owner=None,
    api_key: ApiKey | None = None,
    holder: str = "",
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: datetime | None = None,
) -> Reservation:
    """Reserve `amount` (rounded up to 4 dp) against today's budget, and the key's if it has one,
    with no provider call planned. Raises BudgetExceeded (402) when it does not fit; then
    nothing was reserved anywhere."""
    return admission_reserve(
        owner=owner,
        api_key=api_key,
        amount=amount,
        windows=(),
        holder=holder,
        lease_seconds=lease_seconds,
        now=now,
    )

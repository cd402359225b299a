"""Provider windows: calls to one provider in one UTC clock hour, against its hourly limit.

Billing knows a provider by its id only; the caller, who owns the catalogue, says its limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from billing import counters
from billing.clock import hour_window, seconds_until
from billing.errors import ProviderRateLimited
from billing.models import ProviderWindow
from billing.services.takes import _positive_int, _take_or_create


@dataclass(frozen=True)
class WindowSlots:
    """`calls` planned calls to `provider`, whose hourly limit is `hourly_limit`."""

    provider: str
    calls: int
    hourly_limit: int


def _window_take(*, slots: WindowSlots, now: datetime) -> None:
    _positive_int(slots.calls, "calls")
    start, end = hour_window(now)
    full = _take_or_create(
        lambda: counters.take_window(
            provider=slots.provider, window_start=start, n=slots.calls, limit=slots.hourly_limit
        ),
        ProviderWindow.objects.filter(provider=slots.provider, window_start=start),
        lambda: counters.window_ensure(
            provider=slots.provider, window_start=start, limit=slots.hourly_limit
        ),
    )
    if full is None:
        return
    raise ProviderRateLimited(
        provider=slots.provider,
        used=full.used,
        limit=slots.hourly_limit,
        reset_at=end,
        retry_after=seconds_until(end, now),
    )


@transaction.atomic
def window_take(
    *, provider: str, hourly_limit: int, n: int = 1, now: datetime | None = None
) -> ProviderWindow:
    """Take `n` calls in the provider's current hourly window, or raise ProviderRateLimited (429,
    `retry_after` = seconds to the window's reset)."""
    now = now or timezone.now()
    _window_take(slots=WindowSlots(provider, n, hourly_limit), now=now)
    return ProviderWindow.objects.get(provider=provider, window_start=hour_window(now)[0])

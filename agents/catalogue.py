"""The model catalogue at run time: adapters for providers, fallback chains, circuit breakers.

Breaker state lives on the Provider row (so every process sees the same breaker) and moves by
the pure transitions in `agents.providers.retry`, under a row lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.models import ModelAlias, Provider
from agents.providers import (
    Adapter,
    BreakerPolicy,
    BreakerState,
    ProviderConfig,
    adapter_for,
    breaker_acquire,
    breaker_allows,
    breaker_record_failure,
    breaker_record_success,
    breaker_retry_after,
    breaker_status,
)

logger = logging.getLogger(__name__)


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else None


def breaker_policy(provider: Provider) -> BreakerPolicy:
    return BreakerPolicy(
        failure_threshold=provider.breaker_failure_threshold,
        open_seconds=float(provider.breaker_open_seconds),
    )


def breaker_state(provider: Provider) -> BreakerState:
    return BreakerState(
        state=provider.breaker_state,
        consecutive_failures=provider.breaker_failures,
        opened_at=_epoch(provider.breaker_opened_at),
        half_open_successes=provider.breaker_successes,
        probe_started_at=_epoch(provider.breaker_probe_started_at),
    )


def _store(provider: Provider, state: BreakerState) -> None:
    provider.breaker_state = state.state
    provider.breaker_failures = state.consecutive_failures
    provider.breaker_opened_at = _moment(state.opened_at)
    provider.breaker_successes = state.half_open_successes
    provider.breaker_probe_started_at = _moment(state.probe_started_at)
    provider.save(
        update_fields=[
            "breaker_state",
            "breaker_failures",
            "breaker_opened_at",
            "breaker_successes",
            "breaker_probe_started_at",
        ]
    )


def breaker_is_open(provider: Provider, *, now: datetime | None = None) -> bool:
    """Whether new work must avoid this provider (open, or half-open with its probe taken)."""
    now = now or timezone.now()
    return not breaker_allows(
        breaker_state(provider), now.timestamp(), policy=breaker_policy(provider)
    )


def breaker_wait_seconds(provider: Provider, *, now: datetime | None = None) -> float:
    """Seconds until the provider's breaker lets a call through (0 when it does now)."""
    now = now or timezone.now()
    return breaker_retry_after(
        breaker_state(provider), now.timestamp(), policy=breaker_policy(provider)
    )


def breaker_reported_state(provider: Provider, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    return breaker_status(breaker_state(provider), now.timestamp(), policy=breaker_policy(provider))


_BREAKER_FIELDS = (
    "breaker_state",
    "breaker_failures",
    "breaker_opened_at",
    "breaker_successes",
    "breaker_probe_started_at",
    "breaker_failure_threshold",
    "breaker_open_seconds",
)


def _breaker_read(provider_id: str, *, lock: bool) -> Provider:
    providers = Provider.objects.only(*_BREAKER_FIELDS)
    return (providers.select_for_update() if lock else providers).get(pk=provider_id)


# Every run asks the breaker before its call and reports after it. Both first read the row
# without a lock: when the answer moves no state (a closed breaker, the usual case) that read is
# the answer, and the row lock, which would queue every run of the provider behind one another
# on PostgreSQL, is taken only to move the state, deciding again under it.


def breaker_take(provider_id: str, *, now: datetime | None = None) -> bool:
    """Ask to call the provider now; in half-open only one caller gets through."""
    now = now or timezone.now()
    provider = _breaker_read(provider_id, lock=False)
    before = breaker_state(provider)
    allowed, state = breaker_acquire(before, now.timestamp(), policy=breaker_policy(provider))
    if state == before:
        return allowed
    with transaction.atomic():
        provider = _breaker_read(provider_id, lock=True)
        before = breaker_state(provider)
        allowed, state = breaker_acquire(before, now.timestamp(), policy=breaker_policy(provider))
        if allowed and state != before:
            _store(provider, state)
        return allowed


def breaker_report(provider_id: str, *, ok: bool, now: datetime | None = None) -> str:
    now = now or timezone.now()
    transition = breaker_record_success if ok else breaker_record_failure
    provider = _breaker_read(provider_id, lock=False)
    before = breaker_state(provider)
    after = transition(before, now.timestamp(), policy=breaker_policy(provider))
    if after == before:
        return after.state
    with transaction.atomic():
        provider = _breaker_read(provider_id, lock=True)
        before = breaker_state(provider)
        after = transition(before, now.timestamp(), policy=breaker_policy(provider))
        if after != before:
            _store(provider, after)
            if after.state != before.state:
                logger.warning(
                    "circuit breaker of %s: %s -> %s", provider_id, before.state, after.state
                )
        return after.state


def fallback_chain(
    alias: ModelAlias, *, catalogue: dict[str, ModelAlias] | None = None
) -> Iterator[ModelAlias]:
    """The alias, then its fallbacks in order, never visiting one twice (semantics §7.5).

    The catalogue (given, or else read when the chain goes past the alias itself) is a handful
    of rows, read in one query, not one query per step of the chain."""
    seen: set[str] = set()
    current: ModelAlias | None = alias
    while current is not None and current.alias not in seen:
        seen.add(current.alias)
        yield current
        if not current.fallback_id:
            return
        if catalogue is None:
            catalogue = {m.alias: m for m in ModelAlias.objects.select_related("provider")}
        current = catalogue.get(current.fallback_id)


def provider_config(provider: Provider) -> ProviderConfig:
    """The live adapter when the provider's key is set, else the labelled simulated backend."""
    if not provider.is_configured:
        return ProviderConfig(provider=provider.id, kind="simulated")
    return ProviderConfig(
        provider=provider.id,
        kind=provider.adapter,
        base_url=provider.effective_base_url or None,
        api_key=provider.api_key,
    )


_adapters: dict[str, tuple[tuple, Adapter]] = {}
_adapters_lock = threading.Lock()


def provider_adapter(provider: Provider) -> Adapter:
    """This process's adapter for the provider, kept from one run to the next.

    An SDK client costs ~25-40 ms to build (a TLS context loading the CA bundle) and a kept one
    reuses its pooled connections, so a process builds one per provider, and again only when the
    provider's settings change. Adapters hold no per-call state and may be shared by threads.
    """
    config = provider_config(provider)
    if config.kind == "simulated":
        options = {"token_delay": settings.J1MSKY_SIMULATED_TOKEN_DELAY}
    elif config.kind == "openai":
        options = {"max_tokens_field": provider.max_tokens_param}
    else:
        options = {}
    key = (config, tuple(sorted(options.items())))
    with _adapters_lock:
        cached = _adapters.get(provider.id)
        if cached is None or cached[0] != key:
            cached = (key, adapter_for(config, **options))
            _adapters[provider.id] = cached
        return cached[1]


def simulated_providers() -> list[str]:
    return [p.id for p in Provider.objects.all() if not p.is_configured]

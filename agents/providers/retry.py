"""Retries with backoff, and the per-provider circuit breaker as pure transitions.

Standard library only. The breaker is a frozen value; every function returns a new one, so
the Django layer can load it from a row, apply one transition and save it back under a lock.
Times are plain seconds on one clock of the caller's choice (the database layer uses Unix
time); nothing here reads a clock itself except ``call_with_retries``' defaults.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, TypeVar

from .errors import ProviderError

T = TypeVar("T")

# --------------------------------------------------------------------------- retries


def backoff_delay(
    attempt: int,
    *,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    rng: Callable[[], float] = random.random,
) -> float:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2 ** (attempt - 1)))."""
    return rng() * min(max_delay, base_delay * 2 ** (attempt - 1))


def call_with_retries(
    fn: Callable[[], T],
    *,
    max_attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[int, ProviderError, float], None] | None = None,
) -> T:
    """Call ``fn()``; retry transient ``ProviderError``s up to ``max_attempts`` calls in all.

    The wait before a retry is the full-jitter backoff, raised to the error's ``retry_after``
    when the provider sent one. A retry that could not start before ``deadline`` (on
    ``clock``) is not attempted: the error is raised instead of sleeping past it. Permanent
    errors and anything that is not a ``ProviderError`` propagate at once. ``on_retry(attempt,
    error, delay)`` runs before each wait (it may raise to stop, e.g. when no rate slot is
    free). The raised error's ``attempts`` says how many calls were made.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except ProviderError as error:
            error.attempts = attempt
            if not error.transient or attempt >= max_attempts:
                raise
            delay = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay, rng=rng)
            if error.retry_after is not None:
                delay = max(delay, error.retry_after)
            if deadline is not None and clock() + delay >= deadline:
                raise
            if on_retry is not None:
                on_retry(attempt, error, delay)
            sleep(delay)


# --------------------------------------------------------------------------- circuit breaker

BreakerStateName = Literal["closed", "open", "half_open"]


@dataclass(frozen=True)
class BreakerPolicy:
    """How a breaker trips and recovers. Each provider's figures are on its row (seeded from
    the spec's defaults); ``agents.catalogue.breaker_policy`` builds this value from them."""

    failure_threshold: int = 5
    open_seconds: float = 60.0
    success_threshold: int = 3
    # A half-open probe that never reported back (its worker died) frees the slot after this.
    probe_timeout: float = 300.0


@dataclass(frozen=True)
class BreakerState:
    state: BreakerStateName = "closed"
    consecutive_failures: int = 0
    opened_at: float | None = None
    half_open_successes: int = 0
    probe_started_at: float | None = None


CLOSED = BreakerState()


def _cooled_down(state: BreakerState, now: float, policy: BreakerPolicy) -> bool:
    return state.opened_at is None or now >= state.opened_at + policy.open_seconds


def _probe_busy(state: BreakerState, now: float, policy: BreakerPolicy) -> bool:
    return (
        state.probe_started_at is not None and now < state.probe_started_at + policy.probe_timeout
    )


def breaker_status(state: BreakerState, now: float, *, policy: BreakerPolicy) -> BreakerStateName:
    """The state as a reader should see it: an open breaker past its time is half-open."""
    if state.state == "open" and _cooled_down(state, now, policy):
        return "half_open"
    return state.state


def breaker_allows(state: BreakerState, now: float, *, policy: BreakerPolicy) -> bool:
    """Whether a call may start now (read-only; use ``breaker_acquire`` to take the probe)."""
    status = breaker_status(state, now, policy=policy)
    if status == "closed":
        return True
    if status == "open":
        return False
    return state.state == "open" or not _probe_busy(state, now, policy)


def breaker_acquire(
    state: BreakerState, now: float, *, policy: BreakerPolicy
) -> tuple[bool, BreakerState]:
    """Ask to start a call: ``(allowed, new_state)``. Half-open lets one call through at a time:
    the first caller takes the probe, others are refused until it reports back."""
    if not breaker_allows(state, now, policy=policy):
        return False, state
    if breaker_status(state, now, policy=policy) == "half_open":
        successes = 0 if state.state == "open" else state.half_open_successes
        return True, replace(
            state, state="half_open", half_open_successes=successes, probe_started_at=now
        )
    return True, state


def breaker_record_success(
    state: BreakerState, now: float, *, policy: BreakerPolicy
) -> BreakerState:
    status = breaker_status(state, now, policy=policy)
    if status == "closed":
        return CLOSED
    if status == "open":
        return state  # a late reply from a call that started before the breaker opened
    successes = (0 if state.state == "open" else state.half_open_successes) + 1
    if successes >= policy.success_threshold:
        return CLOSED
    return replace(state, state="half_open", half_open_successes=successes, probe_started_at=None)


def breaker_record_failure(
    state: BreakerState, now: float, *, policy: BreakerPolicy
) -> BreakerState:
    status = breaker_status(state, now, policy=policy)
    failures = state.consecutive_failures + 1
    if status == "closed":
        if failures >= policy.failure_threshold:
            return BreakerState(state="open", consecutive_failures=failures, opened_at=now)
        return replace(state, consecutive_failures=failures)
    if status == "open":
        return replace(state, consecutive_failures=failures)  # already open: keep its clock
    # A failure in half-open re-opens for a full period.
    return BreakerState(state="open", consecutive_failures=failures, opened_at=now)


def breaker_retry_after(state: BreakerState, now: float, *, policy: BreakerPolicy) -> float:
    """Seconds until an open breaker lets a probe through (0 when a call may start)."""
    if breaker_allows(state, now, policy=policy):
        return 0.0
    if breaker_status(state, now, policy=policy) == "open" and state.opened_at is not None:
        return max(0.0, state.opened_at + policy.open_seconds - now)
    assert state.probe_started_at is not None
    return max(0.0, state.probe_started_at + policy.probe_timeout - now)

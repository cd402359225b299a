"""When to try a webhook delivery again: pure functions, standard library only.

The first attempt goes out at once; after each failure the next one waits about 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h (each ±10 % at random, so endpoints that failed together do not
all retry together). A failure after the last retry is final.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

RETRY_DELAYS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
JITTER = 0.10


def retry_delay(
    failed_attempts: int, *, rand: Callable[[], float] = random.random, jitter: float = JITTER
) -> timedelta | None:
    """The wait after the `failed_attempts`-th failure (1-based), or None once it is final.

    `rand` returns a float in [0, 1); the delay is scaled by 1 - jitter + 2 * jitter * rand().
    """
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts failures and starts at 1")
    if is_final_failure(failed_attempts):
        return None
    base = RETRY_DELAYS[failed_attempts - 1]
    return base * (1 - jitter + 2 * jitter * rand())


def next_attempt_at(
    failed_at: datetime,
    failed_attempts: int,
    *,
    rand: Callable[[], float] = random.random,
    jitter: float = JITTER,
) -> datetime | None:
    """When the next attempt is due after a failure at `failed_at`, or None once it is final."""
    delay = retry_delay(failed_attempts, rand=rand, jitter=jitter)
    return None if delay is None else failed_at + delay


def is_final_failure(failed_attempts: int) -> bool:
    """True once every attempt (the first and each retry) has failed."""
    return failed_attempts >= MAX_ATTEMPTS

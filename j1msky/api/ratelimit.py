"""Request rate limits (semantics §6): per key and endpoint class, fixed clock-hour windows.

Counting is one atomic step on either backend: Redis `INCR` + `EXPIREAT` in one pipeline when
`REDIS_URL` is set, otherwise one `INSERT … ON CONFLICT DO UPDATE … RETURNING` on the database.
Never a read-modify-write, so the limit holds however many processes serve requests.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from rest_framework.throttling import BaseThrottle

from j1msky.api.permissions import declared_for
from j1msky.errors import ServiceUnavailable
from j1msky.models import RateCounter

logger = logging.getLogger(__name__)

HOUR = 3600


@dataclass(frozen=True)
class Hit:
    count: int
    limit: int
    reset_at: int  # unix seconds when the window ends

    @property
    def allowed(self) -> bool:
        return self.count <= self.limit

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    def retry_after(self, now: float) -> int:
        return max(int(self.reset_at - now), 1)


_redis_lock = threading.Lock()
_redis_client = None


def _redis():
    """One client (and connection pool) per process, created once even under concurrent first use.

    A client built twice and dropped closes its pool when collected, which breaks the
    connections the other threads are using; hence the lock.
    """
    global _redis_client
    if _redis_client is None:
        with _redis_lock:
            if _redis_client is None:
                import redis

                _redis_client = redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=2
                )
    return _redis_client


def _window(now: float, seconds: int) -> tuple[int, int]:
    start = int(now) // seconds * seconds
    return start, start + seconds


def counter_hit(
    key: str, *, n: int = 1, window_seconds: int = HOUR, now: float | None = None
) -> tuple[int, int]:
    """Count `n` hits in the current fixed window; return (count including them, reset_at)."""
    now = time.time() if now is None else now
    start, end = _window(now, window_seconds)
    if settings.REDIS_URL:
        import redis

        name = f"j1msky:rl:{key}:{start}"
        try:
            pipe = _redis().pipeline(transaction=True)
            pipe.incrby(name, n)
            pipe.expireat(name, end + 60)
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            logger.error("rate-limit counter store unavailable: %s", exc)
            raise ServiceUnavailable("Rate-limit store unavailable") from exc
        return int(count), end
    table = RateCounter._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (key, window_start, count, expires_at) "
                f"VALUES (%s, %s, %s, %s) ON CONFLICT (key, window_start) "
                f"DO UPDATE SET count = {table}.count + %s RETURNING count",
                [key, start, n, end, n],
            )
            (count,) = cursor.fetchone()
    except DatabaseError as exc:
        logger.error("rate-limit counter store unavailable: %s", exc)
        raise ServiceUnavailable("Rate-limit store unavailable") from exc
    return int(count), end


def counter_peek(
    key: str, *, window_seconds: int = HOUR, now: float | None = None
) -> tuple[int, int]:
    now = time.time() if now is None else now
    start, end = _window(now, window_seconds)
    if settings.REDIS_URL:
        import redis

        try:
            value = _redis().get(f"j1msky:rl:{key}:{start}")
        except redis.RedisError as exc:
            logger.error("rate-limit counter store unavailable: %s", exc)
            raise ServiceUnavailable("Rate-limit store unavailable") from exc
        return int(value or 0), end
    row = RateCounter.objects.filter(key=key, window_start=start).values_list("count", flat=True)
    try:
        return int(row.first() or 0), end
    except DatabaseError as exc:
        logger.error("rate-limit counter store unavailable: %s", exc)
        raise ServiceUnavailable("Rate-limit store unavailable") from exc


def counters_purge(*, now: float | None = None) -> int:
    now = time.time() if now is None else now
    deleted, _ = RateCounter.objects.filter(expires_at__lt=int(now)).delete()
    return deleted


# --- DRF throttle ---------------------------------------------------------------------------------


def rate_class_for(view, method: str) -> str:
    return declared_for(view, getattr(view, "rate_class", "default"), method) or "default"


def rate_headers(hit: Hit, now: float) -> dict[str, str]:
    reset_in = max(int(hit.reset_at - now), 0)
    return {
        "X-RateLimit-Limit": str(hit.limit),
        "X-RateLimit-Remaining": str(hit.remaining),
        "X-RateLimit-Reset": str(hit.reset_at),
        "RateLimit-Policy": f"{hit.limit};w={HOUR}",
        "RateLimit": f"limit={hit.limit}, remaining={hit.remaining}, reset={reset_in}",
    }


def key_rate_hit(request, rate_class: str, *, n: int = 1) -> Hit:
    """Count `n` requests of `rate_class` against the caller's key, in one atomic step; the
    response carries the rate headers of this hit."""
    limit = settings.J1MSKY_RATE_LIMITS.get(rate_class, settings.J1MSKY_RATE_LIMITS["default"])
    now = time.time()
    count, reset_at = counter_hit(f"key:{request.auth.key_id}:{rate_class}", n=n, now=now)
    hit = Hit(count=count, limit=limit, reset_at=reset_at)
    request._request._extra_response_headers = rate_headers(hit, now)
    return hit


class KeyRateThrottle(BaseThrottle):
    """Counts every authenticated request against its key's hourly limit for the endpoint class.

    A view whose request stands for several (a batch) says how many with `rate_units(request)`;
    they are counted at once, and the request is refused only when not even its first fits.
    `request.rate_hit` keeps the hit for the view.
    """

    def allow_request(self, request, view) -> bool:
        self.hit = None
        if request.auth is None:
            return True
        units = view.rate_units(request) if hasattr(view, "rate_units") else 1
        self.hit = key_rate_hit(request, rate_class_for(view, request.method), n=units)
        request.rate_hit = self.hit
        return self.hit.count - units < self.hit.limit

    def wait(self) -> float | None:
        return self.hit.retry_after(time.time()) if self.hit else None

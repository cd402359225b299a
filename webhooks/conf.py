"""The webhooks app's settings as the pure modules take them (docs/operations.md, Webhooks)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from webhooks.http import DeliveryTimeout
from webhooks.ssrf import SsrfPolicy

# Seconds an attempt may spend connecting (TLS included), within its total timeout.
CONNECT_SECONDS = 5.0
# Bytes of a receiver's answer read and kept in the delivery log.
RESPONSE_EXCERPT_BYTES = 1024
# A worker claims up to this many deliveries per sending thread at once (fewer commits).
CLAIM_ROUNDS = 4
# A delivery's claim outlives the attempts ahead of it and its own by this much.
CLAIM_MARGIN = timedelta(seconds=10)


def ssrf_policy() -> SsrfPolicy:
    """`J1MSKY_WEBHOOK_ALLOW_HTTP` and `J1MSKY_WEBHOOK_ALLOWED_NETWORKS` from the settings."""
    try:
        return SsrfPolicy.from_values(
            allow_http=settings.J1MSKY_WEBHOOK_ALLOW_HTTP,
            allowed_networks=settings.J1MSKY_WEBHOOK_ALLOWED_NETWORKS,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"J1MSKY_WEBHOOK_ALLOWED_NETWORKS: {exc}") from None


def delivery_timeout() -> DeliveryTimeout:
    """`J1MSKY_WEBHOOK_TIMEOUT_SECONDS` for a whole attempt; connecting (TLS included) gets at
    most `CONNECT_SECONDS` of it."""
    total = settings.J1MSKY_WEBHOOK_TIMEOUT_SECONDS
    return DeliveryTimeout(connect=min(CONNECT_SECONDS, total), total=total)


def senders() -> int:
    """Deliveries one worker process sends at the same time (threads)."""
    return max(1, settings.J1MSKY_WEBHOOK_SENDERS)


def claim_lease() -> timedelta:
    """How long a claimed delivery stays claimed: the attempts queued ahead of it on its
    thread (`CLAIM_ROUNDS`) and its own, each at most the total timeout, plus a margin."""
    return timedelta(seconds=(CLAIM_ROUNDS + 1) * delivery_timeout().total) + CLAIM_MARGIN

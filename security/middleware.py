"""Per-IP protections (semantics §6, §12.7): a request ceiling and the failed-auth lock-out."""

import logging
import time

from django.conf import settings
from django.http import JsonResponse

from j1msky.api.errors import error_response
from j1msky.api.ratelimit import counter_hit, counter_peek
from j1msky.errors import ServiceUnavailable
from security.errors import AuthLockedOut, IpRateLimited
from security.net import client_ip

logger = logging.getLogger(__name__)


def auth_failure_key(ip: str) -> str:
    return f"authfail:{ip}"


class IpGuardMiddleware:
    """Refuses API requests from an IP that is locked out or over its hourly ceiling."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        try:
            refusal = self._refusal(request)
        except ServiceUnavailable:
            # The per-IP guard fails open: with its counter store down, the per-key limits
            # (which fail closed) still hold, and /health can still say what is wrong.
            logger.warning("per-IP guard skipped: counter store unavailable")
            refusal = None
        return refusal or self.get_response(request)

    @staticmethod
    def _refusal(request) -> JsonResponse | None:
        ip = client_ip(request)
        now = time.time()
        failures, reset_at = counter_peek(
            auth_failure_key(ip), window_seconds=settings.J1MSKY_AUTH_LOCKOUT_SECONDS, now=now
        )
        if failures >= settings.J1MSKY_AUTH_FAILURE_LIMIT:
            return error_response(AuthLockedOut(retry_after=int(reset_at - now), your_ip=ip))
        count, reset_at = counter_hit(f"ip:{ip}", now=now)
        if count > settings.J1MSKY_IP_RATE_LIMIT:
            return error_response(IpRateLimited(retry_after=int(reset_at - now)))
        return None


def auth_failure_record(request) -> int:
    """Count one failed authentication for the client's IP; returns the count in the window."""
    count, _ = counter_hit(
        auth_failure_key(client_ip(request)), window_seconds=settings.J1MSKY_AUTH_LOCKOUT_SECONDS
    )
    return count

"""The project's admin site: Django's, with a lock-out on repeated failed sign-ins per client IP."""

from __future__ import annotations

import contextlib
import time

from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpResponse

from j1msky.api.ratelimit import counter_hit, counter_peek
from j1msky.errors import ServiceUnavailable
from security.net import client_ip


def _failure_key(request) -> str:
    return f"adminfail:{client_ip(request)}"


class J1mskyAdminSite(AdminSite):
    site_header = "J1MSKY administration"
    site_title = "J1MSKY"

    def login(self, request, extra_context=None):
        """After `J1MSKY_ADMIN_LOGIN_FAILURE_LIMIT` failed sign-ins from one address within
        `J1MSKY_AUTH_LOCKOUT_SECONDS`, the form refuses that address (429) until the window
        ends, so a password cannot be guessed at the speed of the network."""
        window = settings.J1MSKY_AUTH_LOCKOUT_SECONDS
        if request.method == "POST":
            try:
                failures, reset_at = counter_peek(_failure_key(request), window_seconds=window)
            except ServiceUnavailable:
                failures, reset_at = 0, 0  # fail open like the per-IP guard; passwords still hold
            if failures >= settings.J1MSKY_ADMIN_LOGIN_FAILURE_LIMIT:
                wait = max(int(reset_at - time.time()), 1)
                response = HttpResponse(
                    f"Too many failed sign-ins from your address. Try again in {wait} s.",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(wait)
                return response
        response = super().login(request, extra_context)
        if request.method == "POST" and not request.user.is_authenticated:
            with contextlib.suppress(ServiceUnavailable):
                counter_hit(_failure_key(request), window_seconds=window)
        return response

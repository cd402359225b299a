"""The scrape token of `GET /metrics` (J1MSKY_METRICS_TOKEN).

A Prometheus server should not hold an API key that may mint keys and change the budget, so
`/metrics` also accepts one bearer token of its own, set in the environment. It is accepted on
that route only, where it stands for the route's scope; anything else in the Authorization
header goes on to the API-key authentication (and its failed-attempt lock-out).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication


@dataclass(frozen=True)
class ScrapeCredential:
    """What `request.auth` holds for the scrape token: the scopes of the one route taking it."""

    scopes: tuple[str, ...] = field(default=())
    key_id: str = "metrics-scrape-token"


class MetricsTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        token = settings.J1MSKY_METRICS_TOKEN
        if not token:
            return None
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return None
        if not hmac.compare_digest(parts[1].encode(), token.encode()):
            return None
        view = request.parser_context["view"]
        return None, ScrapeCredential(scopes=(view.required_scope,))

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class MetricsTokenScheme(OpenApiAuthenticationExtension):
    target_class = "orchestrator.api.authentication.MetricsTokenAuthentication"
    name = "metricsToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The scrape token J1MSKY_METRICS_TOKEN (GET /metrics only).",
        }

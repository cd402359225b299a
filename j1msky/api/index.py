"""`GET /api/` (and `/api/v1/`): the way in — what this is and where everything is."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from j1msky.api.permissions import PUBLIC
from j1msky.api.views import ApiView

LINKS = {
    "docs": "docs/",
    "schema": "schema/",
    "health": "health",
    "models": "models",
    "spawn": "spawn",
    "agents": "agents",
    "events": "events",
    "keys": "keys",
    "usage": "billing/usage",
    "budget": "billing/budget",
    "rate_limits": "rate-limits",
    "pricing": "pricing/status",
}


class ApiIndexView(ApiView):
    """Public: the API's version, how to authenticate, and links to the interactive docs, the
    OpenAPI schema, health and the main resources."""

    required_scope = PUBLIC
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        summary="The API's index",
        auth=[],
        responses=inline_serializer(
            "ApiIndex",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "environment": serializers.CharField(),
                "authentication": serializers.CharField(),
                "links": serializers.DictField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request):
        base = request.path if request.path.endswith("/") else request.path + "/"
        links = {name: base + path for name, path in LINKS.items()}
        links["admin"] = "/admin/"
        return Response(
            {
                "name": "J1MSKY API",
                "version": settings.J1MSKY_API_VERSION,
                "environment": settings.J1MSKY_ENVIRONMENT,
                "authentication": (
                    f"Authorization: Bearer {settings.J1MSKY_ENVIRONMENT}_sk_… "
                    "(an API key: `manage.py create_api_key`, POST /api/keys or the admin)"
                ),
                "links": links,
            }
        )

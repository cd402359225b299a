"""`GET /health` (semantics §9): public, cheap, honest about every dependency.

The platform checks its own dependencies (database, broker, cache, worker heartbeats); what
the body says of the domain (`error_rate`, `models_configured`) comes from the apps, which
register a function from their AppConfig (`health_stats_register`).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from j1msky.api.permissions import PUBLIC
from j1msky.api.views import ApiView

STARTED_AT = time.monotonic()


def _timed(check: Callable[[], bool]) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        ok = bool(check())
        error = None
    except Exception as exc:  # a failing dependency is a result here, not an error
        ok, error = False, type(exc).__name__
    result: dict[str, Any] = {
        "ok": ok,
        "latency_ms": round((time.perf_counter() - start) * 1000, 2),
    }
    if error:
        result["error"] = error
    return result


def _database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def _broker() -> bool:
    if settings.REDIS_URL:
        from j1msky.api.ratelimit import _redis

        return bool(_redis().ping())
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    return os.path.isdir(folder) and os.access(folder, os.W_OK)


def _cache() -> bool:
    token = uuid.uuid4().hex
    cache.set("j1msky:health", token, 30)
    return cache.get("j1msky:health") == token


def _workers() -> bool:
    from j1msky.selectors import worker_heartbeat_live_list

    return worker_heartbeat_live_list().exists()


HealthStats = Callable[[], dict[str, Any]]
_stats: list[HealthStats] = []


def health_stats_register(stats: HealthStats) -> None:
    """Add the fields `stats()` returns to every health answer (`error_rate` of 0.1 or more
    makes the service `degraded`)."""
    _stats.append(stats)


def _app_stats() -> dict[str, Any]:
    merged: dict[str, Any] = {"error_rate": 0.0, "models_configured": 0}
    for stats in _stats:
        merged.update(stats())
    return merged


def health_report() -> tuple[dict[str, Any], int]:
    checks = {
        "database": _timed(_database),
        "broker": _timed(_broker),
        "cache": _timed(_cache),
        "worker_heartbeat": _timed(_workers),
    }
    stats = {"error_rate": 0.0, "models_configured": 0}
    if checks["database"]["ok"]:
        try:
            stats = _app_stats()
        except Exception:
            checks["database"] = {**checks["database"], "ok": False, "error": "QueryFailed"}
    error_rate = stats["error_rate"]
    if not checks["database"]["ok"]:
        status, http = "unhealthy", 503
    elif error_rate >= 0.1 or not all(c["ok"] for c in checks.values()):
        status, http = "degraded", 200
    else:
        status, http = "healthy", 200
    return {
        "status": status,
        "uptime_seconds": int(time.monotonic() - STARTED_AT),
        "error_rate": error_rate,
        "models_configured": stats["models_configured"],
        "checks": checks,
    }, http


class HealthView(ApiView):
    required_scope = PUBLIC
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        summary="Service health",
        auth=[],
        responses=inline_serializer(
            "Health",
            {
                "status": serializers.ChoiceField(["healthy", "degraded", "unhealthy"]),
                "uptime_seconds": serializers.IntegerField(),
                "error_rate": serializers.FloatField(),
                "models_configured": serializers.IntegerField(),
                "checks": serializers.DictField(child=serializers.DictField()),
            },
        ),
    )
    def get(self, request):
        body, status = health_report()
        return Response(body, status=status)

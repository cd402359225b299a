"""`GET /orchestrator/status`, `POST /orchestrator/recommend-model`, `GET /system`, `GET /metrics`.

None is a resource: each is an `ApiView` that calls one selector and renders it with the
serializer the schema shows (`/metrics` answers Prometheus text). Scopes: the status and the
recommendation `agents:read` (semantics §3); `/system` and `/metrics` are operator data and take
the admin scope, `/metrics` also the scrape token (docs/decisions.md, Orchestrator).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from j1msky.api.views import ApiView
from orchestrator.api.authentication import MetricsTokenAuthentication
from orchestrator.api.serializers import (
    OrchestratorStatusSerializer,
    RecommendationSerializer,
    RecommendModelSerializer,
    SystemSerializer,
)
from orchestrator.metrics import CONTENT_TYPE, metrics_scrape
from orchestrator.selectors import model_recommendation, orchestrator_status, system_status
from security.authentication import ApiKeyAuthentication

TAGS = ["orchestrator"]


class OrchestratorStatusView(ApiView):
    required_scope = "agents:read"

    @extend_schema(
        tags=TAGS,
        summary="Budget, provider windows, model mix, anomalies, forecast and pricing previews",
        description=(
            "Live data only (semantics §8.1): today's ledger per model, the last hour's calls, "
            "the budget day's spend and reservations, every provider's hourly window, and the "
            "pricing previews over every owner's stored records."
        ),
        responses=OrchestratorStatusSerializer,
    )
    def get(self, request):
        return Response(OrchestratorStatusSerializer(orchestrator_status()).data)


class RecommendModelView(ApiView):
    required_scope = "agents:read"

    @extend_schema(
        tags=TAGS,
        summary="A model for a task type that fits today's budget",
        description=(
            "The first available preferred model of the task type, else the first available "
            "fallback, else sonnet; if its estimate (blended rate × estimated_tokens / 1000) "
            "does not fit what is left of today's budget, the first available model in cost "
            "order that fits (semantics §8.2). `reason` says which step chose it. `complexity` "
            "and `priority` are checked but do not change the choice."
        ),
        request=RecommendModelSerializer,
        responses=RecommendationSerializer,
    )
    def post(self, request):
        params = RecommendModelSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        recommendation = model_recommendation(
            task_type=params.validated_data["task_type"],
            estimated_tokens=params.validated_data["estimated_tokens"],
        )
        return Response(RecommendationSerializer(recommendation.as_dict()).data)


class SystemView(ApiView):
    required_scope = "admin:write"
    rate_class = "system"

    @extend_schema(
        tags=TAGS,
        summary="Host numbers and active agents",
        description=(
            "CPU temperature (null without a sensor), 1-minute load, memory in use, host uptime, "
            "free disk on the data directory, and the agents waiting or running. Scope "
            "`admin:write`; 60 requests an hour per key."
        ),
        responses=SystemSerializer,
    )
    def get(self, request):
        return Response(SystemSerializer(system_status()).data)


class JSONErrorsNegotiation(DefaultContentNegotiation):
    """Errors of `/metrics` are the JSON envelope whatever `Accept` says (a scraper asks for
    text); the metrics themselves are written as Prometheus text by the view."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class MetricsView(ApiView):
    required_scope = "admin:write"
    authentication_classes = [MetricsTokenAuthentication, ApiKeyAuthentication]
    content_negotiation_class = JSONErrorsNegotiation

    @extend_schema(
        tags=TAGS,
        summary="Prometheus metrics",
        description=(
            "Prometheus text format, read from the database at scrape time, so every process "
            "answers the same: agents by status and model, ledger calls, tokens and spend by "
            "model, budget, provider windows and breakers, HTTP requests by route and status. "
            "Scope `admin:write`, or the scrape token `J1MSKY_METRICS_TOKEN` as the bearer."
        ),
        responses={(200, "text/plain"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request):
        return HttpResponse(metrics_scrape(), content_type=CONTENT_TYPE)

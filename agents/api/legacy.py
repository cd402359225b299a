"""The v3 endpoints (semantics §13): `POST /agent`, `GET /status`, `DELETE /cancel`.

Past their sunset (1 June 2026) they answer 410 `endpoint_sunset` naming the v4 successor, to
anyone, before authentication: a v3 client sends `X-API-Key`, which v4 does not read, and must
still learn where to go. With `J1MSKY_LEGACY_V3=serve` they are served by the v4 handlers
instead (spawn, agent status, cancel), and also accept `X-API-Key`. Either way every answer
carries `Deprecation: true`, `Sunset` and a `Link` to the successor.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from agents.api.serializers import AgentDetailSerializer, CancelledSerializer
from agents.api.views import SpawnView
from agents.errors import EndpointSunset
from agents.models import Agent
from agents.selectors import agent_get
from agents.services import agent_cancel
from j1msky.api.permissions import serves
from j1msky.api.views import ApiView
from security.authentication import LegacyApiKeyAuthentication

SUNSET_HTTP_DATE = "Mon, 01 Jun 2026 00:00:00 GMT"
SUNSET_DAY = "2026-06-01"
AGENT_ID = OpenApiParameter(
    "agent_id", str, OpenApiParameter.QUERY, required=True, description="`subagent_…`"
)


class AgentIdSerializer(serializers.Serializer):
    agent_id = serializers.CharField(max_length=40)


class LegacyEndpoint:
    """What every v3 view shares: the sunset, the v3 header, the deprecation headers."""

    authentication_classes = [LegacyApiKeyAuthentication]
    error_statuses = (410,)  # past the sunset, unless J1MSKY_LEGACY_V3=serve
    sunset = SUNSET_DAY
    endpoint = ""
    successor = ""

    def successor_path(self, request) -> str:
        return self.successor

    def initial(self, request, *args, **kwargs):
        if settings.J1MSKY_LEGACY_V3 != "serve" and serves(self, request.method):
            raise EndpointSunset(
                endpoint=self.endpoint,
                successor=f"{request.method} {self.successor_path(request)}",
                sunset=SUNSET_DAY,
            )
        return super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Deprecation"] = "true"
        response["Sunset"] = SUNSET_HTTP_DATE
        response["Link"] = f'<{self.successor_path(request)}>; rel="successor-version"'
        return response


def _agent_id(request) -> str | None:
    """The agent a v3 call names: `agent_id` (or `id`) in the query, else in the body."""
    for source in (request.query_params, request.data if hasattr(request.data, "get") else {}):
        for name in ("agent_id", "id"):
            value = source.get(name)
            if isinstance(value, str) and value:
                return value
    return None


class _AgentCall(LegacyEndpoint, ApiView):
    def successor_path(self, request) -> str:
        """The agent's v4 path when the query names it (the body is not read here: it may not
        parse), else the v4 list."""
        agent_id = request.query_params.get("agent_id") or request.query_params.get("id")
        if agent_id and len(agent_id) <= 40 and agent_id.isascii() and agent_id.isprintable():
            return f"/api/v1/agent/{agent_id}"
        return "/api/v1/agents"

    def agent_id_of(self, request) -> str:
        params = AgentIdSerializer(data={"agent_id": _agent_id(request) or ""})
        params.is_valid(raise_exception=True)
        return params.validated_data["agent_id"]


@extend_schema(deprecated=True)
class LegacySpawnView(LegacyEndpoint, SpawnView):
    """v3 `POST /agent` → v4 `POST /spawn`."""

    endpoint = "POST /agent"
    successor = "/api/v1/spawn"


class LegacyStatusView(_AgentCall):
    """v3 `GET /status?agent_id=…` → v4 `GET /agent/{id}`."""

    endpoint = "GET /status"
    required_scope = "agents:read"
    rate_class = "agent_read"

    @extend_schema(
        summary="v3 agent status (sunset)",
        deprecated=True,
        parameters=[AGENT_ID],
        responses=AgentDetailSerializer,
    )
    def get(self, request):
        agent = agent_get(owner=request.user, agent_id=self.agent_id_of(request))
        return Response(AgentDetailSerializer(agent).data)


class LegacyCancelView(_AgentCall):
    """v3 `DELETE /cancel?agent_id=…` → v4 `DELETE /agent/{id}`."""

    endpoint = "DELETE /cancel"
    required_scope = "agents:write"

    @extend_schema(
        summary="v3 cancel (sunset)",
        deprecated=True,
        parameters=[AGENT_ID],
        request=None,
        responses={200: CancelledSerializer, 202: CancelledSerializer},
    )
    def delete(self, request):
        agent = agent_cancel(owner=request.user, agent_id=self.agent_id_of(request))
        cancelling = agent.status != Agent.Status.CANCELLED
        return Response(
            CancelledSerializer(agent).data,
            status=status.HTTP_202_ACCEPTED if cancelling else status.HTTP_200_OK,
        )

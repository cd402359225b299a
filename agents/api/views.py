"""The agents API: spawning (commands), the agents (a resource) and the provider windows.

Views translate: validate the body with a serializer, call one service or selector, render
the result with the serializer the schema shows. Rules live in `agents/services/`.
"""

from __future__ import annotations

import time

from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from agents.api.serializers import (
    MAX_BATCH,
    ActiveAgentsSerializer,
    AgentDetailSerializer,
    AgentListSerializer,
    BatchResultSerializer,
    CancelledSerializer,
    CancelQuerySerializer,
    PurgedSerializer,
    RateLimitsSerializer,
    SpawnBatchSerializer,
    SpawnedSerializer,
    SpawnSerializer,
    SpawnTeamSerializer,
    TeamSpawnedSerializer,
    spawn_item_request,
)
from agents.filtersets import AgentFilterSet
from agents.models import Agent
from agents.selectors import (
    agent_active_list,
    agent_get,
    agent_list,
    agent_list_meta,
    owner_cost_today,
    provider_limits,
)
from agents.services import (
    Caller,
    SpawnRequest,
    agent_cancel,
    agent_purge,
    agent_spawn,
    agent_spawn_batch,
)
from billing.selectors import provider_window_list
from j1msky.api.views import ApiView, GenericViewSet
from j1msky.errors import DomainError, InvalidFilter, error_body
from security.net import client_ip

AGENT_ID = OpenApiParameter("agent_id", str, OpenApiParameter.PATH, description="`subagent_…`")


def _caller(request) -> Caller:
    return Caller(
        owner=request.user,
        api_key=request.auth,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def spawned_body(agent: Agent) -> dict:
    serializer = TeamSpawnedSerializer if agent.team_id else SpawnedSerializer
    return serializer(agent).data


class _SpawnOne(ApiView):
    """Admit one agent from the body (`request_serializer`), answer 201 (`response_serializer`)."""

    required_scope = "agents:write"
    rate_class = "spawn"
    error_statuses = (402,)

    def post(self, request):
        params = self.request_serializer(data=request.data)
        params.is_valid(raise_exception=True)
        agent = agent_spawn(caller=_caller(request), request=SpawnRequest(**params.validated_data))
        return Response(self.response_serializer(agent).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        summary="Spawn an agent", request=SpawnSerializer, responses={201: SpawnedSerializer}
    )
)
class SpawnView(_SpawnOne):
    request_serializer = SpawnSerializer
    response_serializer = SpawnedSerializer


@extend_schema_view(
    post=extend_schema(
        summary="Spawn a team", request=SpawnTeamSerializer, responses={201: TeamSpawnedSerializer}
    )
)
class SpawnTeamView(_SpawnOne):
    request_serializer = SpawnTeamSerializer
    response_serializer = TeamSpawnedSerializer


class SpawnBatchView(ApiView):
    required_scope = "agents:write"
    rate_class = "spawn"

    def rate_units(self, request) -> int:
        """Each item is one spawn against the key's spawn limit, counted before any is admitted."""
        return SpawnBatchSerializer.item_count(request.data, limit=MAX_BATCH)

    @extend_schema(
        summary="Spawn up to 50 agents, each admitted on its own",
        request=SpawnBatchSerializer,
        responses=BatchResultSerializer,
    )
    def post(self, request):
        params = SpawnBatchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        items = [spawn_item_request(item) for item in params.validated_data["agents"]]
        # The throttle counted every item (rate_units); those past the limit are refused.
        hit = getattr(request, "rate_hit", None)
        allowed = len(items) if hit is None else hit.limit - (hit.count - len(items))
        outcomes = agent_spawn_batch(
            caller=_caller(request),
            items=items,
            allowed=allowed,
            retry_after=hit.retry_after(time.time()) if hit else 1,
        )
        results = [
            error_body(outcome) if isinstance(outcome, DomainError) else spawned_body(outcome)
            for outcome in outcomes
        ]
        return Response(BatchResultSerializer({"success": True, "results": results}).data)


@extend_schema_view(
    list=extend_schema(
        summary="List agents",
        parameters=[
            OpenApiParameter(
                "include",
                str,
                enum=["meta"],
                description=(
                    "`meta` on a cursor page (an offset page always carries it): the whole "
                    "filtered set's `total_cost` and `by_model`, aggregated for this request."
                ),
            )
        ],
    ),
    retrieve=extend_schema(summary="Get an agent", parameters=[AGENT_ID]),
    destroy=extend_schema(
        summary="Cancel an agent, or erase its content (purge=true)",
        parameters=[AGENT_ID, CancelQuerySerializer],
        request=None,
        responses={
            200: PolymorphicProxySerializer(
                component_name="CancelledOrPurged",
                serializers=[CancelledSerializer, PurgedSerializer],
                resource_type_field_name=None,
            ),
            202: CancelledSerializer,
        },
    ),
)
class AgentViewSet(GenericViewSet):
    """The caller's owner's agents: `GET /agents`, `GET /agent/{id}`, `DELETE /agent/{id}`
    (cancel) and `GET /agents/active`."""

    detail_prefix = "agent"
    lookup_field = "agent_id"
    required_scope = {"DELETE": "agents:write", "GET": "agents:read"}
    rate_class = {"list": "agents_list", "retrieve": "agent_read"}
    filterset_class = AgentFilterSet
    serializer_class = AgentListSerializer
    error_statuses = {"destroy": (409,)}  # already finished

    def get_queryset(self):
        return agent_list(owner=self.request.user)

    extra_query_params = ("include",)

    def list(self, request):
        agents = self.filter_queryset(self.get_queryset())
        include = request.query_params.getlist("include")
        if any(value != "meta" for value in include):
            raise InvalidFilter(
                "include takes one value: meta",
                details={"include": ["Must be meta"]},
            )
        # An offset page counts the filtered set anyway: `meta` comes from the same grouped
        # query. A cursor page never counts; it aggregates the set only when asked.
        extra = {}
        if include or not self.paginator.cursor_requested(request, self):
            extra["meta"], self.paginator.known_total = agent_list_meta(agents)
        page = self.paginate_queryset(agents)
        data = AgentListSerializer(page, many=True).data
        return self.paginator.get_paginated_response(data, **extra)

    @extend_schema(responses=AgentDetailSerializer)
    def retrieve(self, request, agent_id: str):
        agent = agent_get(owner=request.user, agent_id=agent_id)
        return Response(AgentDetailSerializer(agent).data)

    def destroy(self, request, agent_id: str):
        query = CancelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if query.validated_data["purge"]:
            agent = agent_purge(owner=request.user, agent_id=agent_id, api_key=request.auth)
            return Response(PurgedSerializer(agent).data)
        agent = agent_cancel(owner=request.user, agent_id=agent_id)
        cancelling = agent.status != Agent.Status.CANCELLED
        return Response(
            CancelledSerializer(agent).data,
            status=status.HTTP_202_ACCEPTED if cancelling else status.HTTP_200_OK,
        )

    @extend_schema(summary="Agents spawning or running", responses=ActiveAgentsSerializer)
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def active(self, request):
        agents = list(agent_active_list(owner=request.user))
        body = {
            "agents": agents,
            "count": len(agents),
            "total_cost_today": owner_cost_today(owner=request.user),
        }
        return Response(ActiveAgentsSerializer(body).data)


class RateLimitsView(ApiView):
    """Every provider's current hourly window."""

    required_scope = "agents:read"

    @extend_schema(
        summary="Provider hourly windows",
        description=(
            "Calls taken in each provider's current UTC clock-hour window, keyed by provider id, "
            "for every provider in the catalogue."
        ),
        responses=RateLimitsSerializer,
    )
    def get(self, request):
        windows = provider_window_list(providers=provider_limits())
        return Response(RateLimitsSerializer({"limits": windows}).data)

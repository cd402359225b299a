import logging
import time
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Count, Sum
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from agents.api.serializers import (
    MAX_BATCH,
    ActiveAgentsSerializer,
    AgentDetailSerializer,
    AgentListSerializer,
    BatchResultSerializer,
    CancelledSerializer,
    EventSerializer,
    SpawnBatchSerializer,
    SpawnedSerializer,
    SpawnSerializer,
    SpawnTeamSerializer,
    TeamSpawnedSerializer,
)
from agents.filtersets import AgentFilterSet, EventFilterSet
from agents.models import Agent
from agents.selectors import agent_active_list, agent_list, event_list, owner_cost_today
from agents.services import agent_cancel, agent_get, agent_spawn
from j1msky.api.errors import DomainError, envelope
from j1msky.api.parsers import json_loads
from j1msky.api.views import ApiView, ListApiView
from security.net import client_ip

logger = logging.getLogger(__name__)

AGENT_ID = OpenApiParameter("agent_id", str, OpenApiParameter.PATH, description="`subagent_…`")


def _spawned(agent: Agent) -> dict:
    body = {
        "success": True,
        "agent_id": agent.agent_id,
        "model": agent.model_id,
        "status": agent.status,
        "estimated_cost": agent.estimated_cost,
        "simulated": agent.simulated,
    }
    if agent.requested_model != agent.model_id:
        body["requested_model"] = agent.requested_model
    return body


def _team_spawned(agent: Agent) -> dict:
    return {
        "success": True,
        "agent_id": agent.agent_id,
        "team": agent.team_id,
        "models": [
            m.qualified_name
            for m in (
                agent.model.__class__.objects.select_related("provider").get(pk=s["model"])
                for s in agent.steps
            )
        ],
        "status": agent.status,
        "estimated_cost": agent.estimated_cost,
        "simulated": agent.simulated,
    }


def _spawn_kwargs(request, data: dict) -> dict:
    return {
        "owner": request.user,
        "api_key": request.auth,
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        **data,
    }


class SpawnView(ApiView):
    required_scope = "agents:write"
    rate_class = "spawn"

    @extend_schema(
        summary="Spawn an agent", request=SpawnSerializer, responses={201: SpawnedSerializer}
    )
    def post(self, request):
        params = SpawnSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        agent = agent_spawn(**_spawn_kwargs(request, params.validated_data))
        return Response(_spawned(agent), status=status.HTTP_201_CREATED)


class SpawnTeamView(ApiView):
    required_scope = "agents:write"
    rate_class = "spawn"

    @extend_schema(
        summary="Spawn a team", request=SpawnTeamSerializer, responses={201: TeamSpawnedSerializer}
    )
    def post(self, request):
        params = SpawnTeamSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        agent = agent_spawn(**_spawn_kwargs(request, params.validated_data))
        return Response(_team_spawned(agent), status=status.HTTP_201_CREATED)


class SpawnBatchView(ApiView):
    required_scope = "agents:write"
    rate_class = "spawn"

    def rate_units(self, request) -> int:
        """Each item is one spawn against the key's spawn limit, counted before any is admitted."""
        try:
            agents = request.data.get("agents")
            if isinstance(agents, str):
                agents = json_loads(agents)
        except (AttributeError, ValueError):
            return 1
        return min(max(len(agents), 1), MAX_BATCH) if isinstance(agents, list) else 1

    @extend_schema(
        summary="Spawn up to 50 agents, each admitted on its own",
        request=SpawnBatchSerializer,
        responses=BatchResultSerializer,
    )
    def post(self, request):
        params = SpawnBatchSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        agents = params.validated_data["agents"]
        # The throttle counted every item (rate_units); those past the limit are refused here.
        hit = getattr(request, "rate_hit", None)
        first_unit = hit.count - len(agents) if hit else 0
        results = [
            self._one(request, item)
            if hit is None or first_unit + index < hit.limit
            else envelope(
                429,
                "rate_limited",
                "Rate limit exceeded",
                retry_after=hit.retry_after(time.time()),
            )
            for index, item in enumerate(agents)
        ]
        return Response({"success": True, "results": results})

    def _one(self, request, item: dict) -> dict:
        serializer_class = SpawnTeamSerializer if "team" in item else SpawnSerializer
        params = serializer_class(data=item)
        try:
            params.is_valid(raise_exception=True)
            with transaction.atomic():
                agent = agent_spawn(**_spawn_kwargs(request, params.validated_data))
        except DatabaseError:
            # This item's savepoint is rolled back; the items before it stay admitted.
            logger.exception("spawn-batch item failed on the database")
            return envelope(503, "service_unavailable", "Service temporarily unavailable")
        except ValidationError as exc:
            detail = (
                exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            )
            first = next(iter(detail.values()))
            message = str(first[0] if isinstance(first, list) else first)
            return envelope(400, "validation_error", message, detail)
        except DomainError as exc:
            return envelope(exc.http_status, exc.code, exc.message, exc.details, **exc.extra)
        return _team_spawned(agent) if agent.team_id else _spawned(agent)


class AgentListView(ListApiView):
    required_scope = "agents:read"
    rate_class = "agents_list"
    serializer_class = AgentListSerializer
    filterset_class = AgentFilterSet

    def get_queryset(self):
        return agent_list(owner=self.request.user)

    @extend_schema(summary="List agents")
    def get(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        totals = queryset.order_by().aggregate(total=Sum("actual_cost"))
        by_model = dict(
            queryset.order_by()
            .values_list("model_id")
            .annotate(n=Count("pk"))
            .values_list("model_id", "n")
        )
        meta = {
            "total_cost": totals["total"] or Decimal("0"),
            "by_model": dict(sorted(by_model.items())),
        }
        page = self.paginate_queryset(queryset)
        data = self.get_serializer(page, many=True).data
        return self.paginator.get_paginated_response(data, meta=meta)


class AgentActiveView(ApiView):
    required_scope = "agents:read"

    @extend_schema(summary="Agents spawning or running", responses=ActiveAgentsSerializer)
    def get(self, request):
        agents = list(agent_active_list(owner=request.user))
        return Response(
            ActiveAgentsSerializer(
                {
                    "agents": agents,
                    "count": len(agents),
                    "total_cost_today": owner_cost_today(owner=request.user),
                }
            ).data
        )


class AgentDetailView(ApiView):
    required_scope = {"GET": "agents:read", "DELETE": "agents:write"}
    rate_class = {"GET": "agent_read"}
    # Cancel commits its own steps, then waits for the worker: no transaction held meanwhile.
    idempotency_atomic = False

    @extend_schema(summary="Get an agent", parameters=[AGENT_ID], responses=AgentDetailSerializer)
    def get(self, request, agent_id: str):
        return Response(
            AgentDetailSerializer(agent_get(owner=request.user, agent_id=agent_id)).data
        )

    @extend_schema(
        summary="Cancel an agent",
        parameters=[AGENT_ID],
        request=None,
        responses=CancelledSerializer,
    )
    def delete(self, request, agent_id: str):
        agent = agent_cancel(owner=request.user, agent_id=agent_id)
        cancelling = agent.status != Agent.Status.CANCELLED
        return Response(
            {
                "success": True,
                "message": "Agent cancelling" if cancelling else "Agent cancelled",
                "agent_id": agent.agent_id,
                "status": agent.status,
                "refund": agent.refund,
            },
            status=status.HTTP_202_ACCEPTED if cancelling else status.HTTP_200_OK,
        )


class EventListView(ListApiView):
    required_scope = "agents:read"
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    cursor_only = True
    default_sort = "id"

    def get_queryset(self):
        return event_list(owner=self.request.user)

    @extend_schema(
        summary="The event feed (cursor pages, oldest first)",
        responses=inline_serializer(
            "EventPage",
            {
                "data": EventSerializer(many=True),
                "pagination": inline_serializer(
                    "CursorPagination",
                    {
                        "cursor": serializers.CharField(allow_null=True),
                        "has_more": serializers.BooleanField(),
                        "limit": serializers.IntegerField(),
                    },
                ),
            },
        ),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

"""The operations dashboard's data: `GET /orchestrator/status` (the same selector and the same
serializer, so the numbers are the API's), the latest agents and the webhooks in trouble."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from agents.selectors import agent_recent
from orchestrator.api.serializers import OrchestratorStatusSerializer
from orchestrator.selectors import orchestrator_status
from webhooks.selectors import endpoints_failing

RECENT_AGENTS = 10
FAILING_WEBHOOKS = 10


def dashboard_data(*, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    status = OrchestratorStatusSerializer(orchestrator_status(now=now)).data
    return {
        "status": status,
        "recent_agents": [
            {
                "agent_id": agent.agent_id,
                "owner": agent.owner.get_username(),
                "model": agent.model_id,
                "team": agent.team_id or "",
                "status": agent.status,
                "actual_cost": agent.actual_cost,
                "created_at": agent.created_at.isoformat(),
                "url": reverse("admin:agents_agent_change", args=[agent.pk]),
            }
            for agent in agent_recent(limit=RECENT_AGENTS)
        ],
        "failing_webhooks": [
            {
                "webhook_id": endpoint.webhook_id,
                "owner": endpoint.owner.get_username(),
                "url": endpoint.url,
                "status": endpoint.status,
                "status_reason": endpoint.status_reason,
                "failed_deliveries": endpoint.failed_deliveries,
                "retrying_deliveries": endpoint.retrying_deliveries,
                "last_status_code": endpoint.last_status_code,
                "admin_url": reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
            }
            for endpoint in endpoints_failing(limit=FAILING_WEBHOOKS)
        ],
        "refresh_seconds": settings.J1MSKY_DASHBOARD_REFRESH_SECONDS,
    }

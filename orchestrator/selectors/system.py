"""`GET /system` (semantics §9): the host's numbers and the agents waiting or running."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from agents.models import Agent
from orchestrator.system import system_stats


def active_agent_count() -> int:
    """Agents of every owner waiting to run (`spawning`) or running."""
    return Agent.objects.filter(status__in=[Agent.Status.SPAWNING, Agent.Status.RUNNING]).count()


def system_status() -> dict[str, Any]:
    return {**system_stats(settings.DATA_DIR).as_dict(), "active_agents": active_agent_count()}

"""Orchestrator reads: the status, the recommendation, the host, and what the rules read."""

from orchestrator.selectors.recommendation import model_recommendation, model_routes
from orchestrator.selectors.status import orchestrator_status
from orchestrator.selectors.system import active_agent_count, system_status

__all__ = [
    "active_agent_count",
    "model_recommendation",
    "model_routes",
    "orchestrator_status",
    "system_status",
]

"""Agent and catalogue reads."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from agents.models import Agent, ModelAlias


def model_alias_enabled_count() -> int:
    return ModelAlias.objects.filter(enabled=True).count()


def agent_error_rate(*, now=None, window: timedelta = timedelta(hours=1)) -> float:
    """Failed / finished agent runs whose run ended within the window (0.0 when none ended)."""
    now = now or timezone.now()
    counts = Agent.objects.filter(
        completed_at__gte=now - window,
        status__in=[Agent.Status.COMPLETED, Agent.Status.FAILED],
    ).aggregate(finished=Count("pk"), failed=Count("pk", filter=Q(status=Agent.Status.FAILED)))
    if not counts["finished"]:
        return 0.0
    return round(counts["failed"] / counts["finished"], 4)

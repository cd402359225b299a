"""Agent and catalogue reads."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from agents.models import Agent, Event, ModelAlias
from j1msky.selectors import heartbeat_cutoff


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


def agent_list(*, owner) -> QuerySet[Agent]:
    return Agent.objects.filter(owner=owner).order_by("-created_at", "-agent_id")


def agent_active_list(*, owner) -> QuerySet[Agent]:
    return agent_list(owner=owner).filter(status__in=[Agent.Status.SPAWNING, Agent.Status.RUNNING])


def agent_live_ids(agent_ids: list[str], *, now=None) -> set[str]:
    """The agents that still need their budget reservation: waiting in the queue, or running
    with a fresh heartbeat from the process that runs them."""
    fresh = heartbeat_cutoff(now or timezone.now())
    return set(
        Agent.objects.filter(agent_id__in=agent_ids)
        .filter(
            Q(status=Agent.Status.SPAWNING)
            | Q(status=Agent.Status.RUNNING, heartbeat_at__gte=fresh)
        )
        .values_list("agent_id", flat=True)
    )


def event_list(*, owner) -> QuerySet[Event]:
    return Event.objects.filter(owner=owner).order_by("id")


def owner_cost_today(*, owner, now=None) -> Decimal:
    """The owner's ledger spend on today's budget day (4 dp)."""
    from billing.clock import budget_day
    from billing.models import LedgerEntry

    micros = LedgerEntry.objects.filter(
        owner=owner, day=budget_day(now or timezone.now())
    ).aggregate(total=Sum("cost_micros"))["total"]
    return Decimal(micros or 0) / Decimal(1_000_000)

"""Platform reads."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from j1msky.models import Event, WorkerHeartbeat


def heartbeat_cutoff(now):
    """A heartbeat older than this (workers' and runs' alike) means its process is gone."""
    return now - timedelta(seconds=settings.J1MSKY_WORKER_LOST_AFTER_SECONDS)


def worker_heartbeat_live_list(*, now=None) -> QuerySet[WorkerHeartbeat]:
    cutoff = heartbeat_cutoff(now or timezone.now())
    return WorkerHeartbeat.objects.filter(last_seen__gte=cutoff, stopped_at__isnull=True).order_by(
        "hostname"
    )


def event_list(*, owner) -> QuerySet[Event]:
    """The owner's events; a staff owner also sees the system's own (no owner: an address
    refused or blocked, a lock-out)."""
    if owner.is_staff:
        return Event.objects.filter(Q(owner=owner) | Q(owner__isnull=True)).order_by("id")
    return Event.objects.filter(owner=owner).order_by("id")


def event_list_for_agent(*, agent_id: str) -> QuerySet[Event]:
    """The events about one agent run (every owner's view of it: the admin), oldest first."""
    return Event.objects.filter(agent_id=agent_id).order_by("id")

"""Platform reads."""

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from j1msky.models import WorkerHeartbeat


def worker_heartbeat_live_list(*, now=None) -> QuerySet[WorkerHeartbeat]:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.J1MSKY_WORKER_LOST_AFTER_SECONDS)
    return WorkerHeartbeat.objects.filter(last_seen__gte=cutoff, stopped_at__isnull=True).order_by(
        "hostname"
    )

"""The delivery log's retention: finished deliveries older than the retention go, with their
attempts; pending ones stay whatever their age."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from webhooks.models import Delivery

PURGE_BATCH = 1000


def delivery_log_purge(*, now: datetime | None = None) -> int:
    """Delete delivered and failed deliveries created more than
    `J1MSKY_WEBHOOK_LOG_RETENTION_DAYS` ago, in batches; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.J1MSKY_WEBHOOK_LOG_RETENTION_DAYS)
    finished = Delivery.objects.filter(created_at__lt=cutoff).exclude(
        status=Delivery.Status.PENDING
    )
    deleted = 0
    while True:
        ids = list(finished.values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return deleted
        Delivery.objects.filter(pk__in=ids).delete()
        deleted += len(ids)

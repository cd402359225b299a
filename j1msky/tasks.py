"""Platform housekeeping on the beat."""

import logging

from celery import shared_task

from j1msky.api.ratelimit import counters_purge
from j1msky.idempotency import idempotency_purge

logger = logging.getLogger(__name__)


@shared_task(name="j1msky.tasks.idempotency_purge")
def idempotency_purge_task() -> int:
    deleted = idempotency_purge()
    logger.info("purged %d expired idempotency keys", deleted)
    return deleted


@shared_task(name="j1msky.tasks.rate_counter_purge")
def rate_counter_purge_task() -> int:
    deleted = counters_purge()
    logger.info("purged %d expired rate-limit counters", deleted)
    return deleted

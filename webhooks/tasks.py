"""Thin Celery tasks: one deliver loop (messages and the beat), and the delivery log's purge."""

import logging

from celery import shared_task
from django.conf import settings

from webhooks.conf import CLAIM_ROUNDS
from webhooks.services import webhooks_deliver
from webhooks.services.logs import delivery_log_purge
from webhooks.services.sending import DELIVER_LOOP_SECONDS

logger = logging.getLogger(__name__)

# The loop stops claiming after DELIVER_LOOP_SECONDS; the attempts it claimed may each take
# their whole timeout (CLAIM_ROUNDS queued per sending thread, and one in flight).
_SOFT_LIMIT = (
    DELIVER_LOOP_SECONDS + (CLAIM_ROUNDS + 1) * settings.J1MSKY_WEBHOOK_TIMEOUT_SECONDS + 30
)


@shared_task(
    name="webhooks.tasks.deliver",
    acks_late=True,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_SOFT_LIMIT + 15,
)
def deliver() -> dict[str, int]:
    """Recover lapsed claims, read new events into deliveries, send what is due."""
    report = webhooks_deliver()
    if report.recovered:
        logger.warning("recovered %d interrupted webhook deliveries", report.recovered)
    return report.as_dict()


@shared_task(name="webhooks.tasks.purge", soft_time_limit=300, time_limit=320)
def delivery_log_purge_task() -> int:
    deleted = delivery_log_purge()
    if deleted:
        logger.info("purged %d old webhook deliveries", deleted)
    return deleted

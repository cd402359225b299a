"""Billing jobs on the beat (thin: each calls one service)."""

import logging

from celery import shared_task
from django.conf import settings

from billing.services import reservation_reap

logger = logging.getLogger(__name__)


@shared_task(name="billing.tasks.reservation_reap", soft_time_limit=50, time_limit=55)
def reservation_reap_task() -> int:
    """Each minute: release reservations whose holder stopped renewing its lease."""
    released = reservation_reap(lease_seconds=settings.J1MSKY_RESERVATION_LEASE_SECONDS)
    if released:
        logger.info("released %d reservation(s) with expired leases", released)
    return released

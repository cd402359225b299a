"""Pricing jobs on the beat (semantics §14): the daily report and the exception-aging alert.

Beat runs both every hour at :05 (CELERY_TIMEZONE is UTC); each does its day's work once, in
J1MSKY_TIMEZONE, on the first run after local midnight (00:05 local wherever the offset is whole
hours) and is a no-op for the rest of the day. A beat or worker that was down catches up on its
next run instead of skipping a day, and a run twice stores nothing twice (unique day rows).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

from billing.clock import budget_day
from pricing.selectors import exception_open_owner_ids
from pricing.services import exception_aging_alert_record, pricing_report_store

logger = logging.getLogger(__name__)


@shared_task(name="pricing.tasks.pricing_report_daily", soft_time_limit=120, time_limit=180)
def pricing_report_daily() -> str | None:
    """Store yesterday's report (the last complete budget day) if it is not stored yet."""
    now = timezone.now()
    day = budget_day(now) - timedelta(days=1)
    report, created = pricing_report_store(day=day, now=now)
    if created:
        logger.info("stored the pricing report of %s (%s)", day, report.status)
        return day.isoformat()
    return None


@shared_task(
    name="pricing.tasks.pricing_exception_aging_daily", soft_time_limit=300, time_limit=360
)
def pricing_exception_aging_daily() -> int:
    """Record today's exception-aging alert of every owner with open exceptions."""
    now = timezone.now()
    day = budget_day(now)
    recorded = 0
    for owner in get_user_model().objects.filter(pk__in=exception_open_owner_ids()):
        if exception_aging_alert_record(owner=owner, day=day, now=now) is not None:
            recorded += 1
    return recorded

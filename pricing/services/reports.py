"""The daily pricing report stored by beat (semantics §10.9, §14)."""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from pricing.models import PricingReport
from pricing.selectors import pricing_report


@transaction.atomic
def pricing_report_store(*, day: date, now: datetime | None = None) -> tuple[PricingReport, bool]:
    """Store the pricing report of a budget day once; returns `(report, created)`."""
    existing = PricingReport.objects.filter(day=day).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    report = pricing_report(day=day, now=now)
    try:
        with transaction.atomic():
            row = PricingReport.objects.create(
                day=day,
                generated_at=now,
                status=report["health"]["status"],
                daily_cost=report["health"]["daily_cost"],
                data=report,
            )
    except IntegrityError:  # another beat run stored it first
        return PricingReport.objects.get(day=day), False
    return row, True

"""What the orchestrator remembers: the budget alert state of each budget day, and the HTTP
request counters `/metrics` reports."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class BudgetAlertDay(models.Model):
    """The budget alert check's state for one budget day (J1MSKY_TIMEZONE).

    `level` is the highest `budget_alert_level` reached (and logged) that day, `events_sent` the
    budget event types already emitted that day. A row per day, locked by each check, so "once a
    day" holds across restarts and however many beat ticks run at once.
    """

    class Level(models.TextChoices):
        OK = "ok"
        NOTICE = "notice"
        WARNING = "warning"
        CRITICAL = "critical"

    day = models.DateField(primary_key=True)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.OK)
    events_sent = models.JSONField(default=list, blank=True)
    utilization_pct = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, help_text="At the last check."
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.level}"


class HttpRequestCount(models.Model):
    """Requests answered, per route template, method and status, since the service began.

    Each web process counts in memory and adds its counts here every few seconds (one upsert per
    key), so a scrape of any process reads every process's requests.
    """

    route = models.CharField(max_length=200)
    method = models.CharField(max_length=16)
    status = models.PositiveSmallIntegerField()
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["route", "method", "status"], name="orchestrator_httprequestcount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.route} {self.status}: {self.count}"

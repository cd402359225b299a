"""The budget alert check on the beat (semantics §11, §14): each minute, thin."""

from __future__ import annotations

from celery import shared_task

from orchestrator.services import budget_alert_day_check


@shared_task(name="orchestrator.tasks.budget_alert_check", soft_time_limit=50, time_limit=55)
def budget_alert_check() -> list[str]:
    """Emit the budget events due today (each at most once a day); log a rise of the level."""
    return list(budget_alert_day_check().events)

"""Orchestrator writes: the budget alert check of the beat, and the HTTP request counters.

`budget_alert_day_check` (each minute, semantics §11, §14): under a lock on today's
`BudgetAlertDay` row, the pure `rules.budget_alert_check` says which budget events to emit and
which level change to log; the events go to the outbox in the same transaction as the state
that remembers them, so each is emitted at most once per budget day however many checks run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from billing.selectors import BudgetStatus, budget_status
from j1msky.events import event_emit
from orchestrator import rules
from orchestrator.models import BudgetAlertDay, HttpRequestCount
from orchestrator.rules.budget import BUDGET_EVENT_THRESHOLDS

logger = logging.getLogger(__name__)

EVENT_THRESHOLDS = dict(BUDGET_EVENT_THRESHOLDS)


def _event_data(event: str, status: BudgetStatus) -> dict:
    return {
        "day": status.day.isoformat(),
        "threshold_pct": EVENT_THRESHOLDS[event],
        "budget_utilization_pct": status.budget_utilization_pct,
        "daily_budget": status.daily_budget,
        "today_spend": status.today_spend,
        "reserved": status.reserved,
        "budget_remaining": status.budget_remaining,
    }


@transaction.atomic
def budget_alert_day_check(*, now: datetime | None = None) -> rules.BudgetAlerts:
    """Check today's budget once: emit the budget events due and log a rise of the level."""
    now = now or timezone.now()
    status = budget_status(now=now)
    BudgetAlertDay.objects.bulk_create([BudgetAlertDay(day=status.day)], ignore_conflicts=True)
    row = BudgetAlertDay.objects.select_for_update().get(day=status.day)
    remembered = rules.BudgetAlertState(
        day=row.day, level=rules.AlertLevel(row.level), events_sent=frozenset(row.events_sent)
    )
    alerts, state = rules.budget_alert_check(
        remembered, day=status.day, utilization_pct=status.budget_utilization_pct
    )
    for event in alerts.events:
        event_emit(type=event, data=_event_data(event, status))
        logger.warning(
            "%s: budget utilization %s%% on %s", event, status.budget_utilization_pct, status.day
        )
    if alerts.transition is not None:
        logger.warning(
            "budget alert level %s on %s (utilization %s%%)",
            alerts.transition,
            status.day,
            status.budget_utilization_pct,
        )
    row.level = str(state.level)
    row.events_sent = sorted(state.events_sent)
    row.utilization_pct = status.budget_utilization_pct
    row.checked_at = now
    row.save()
    return alerts


# --- HTTP request counters -----------------------------------------------------------------------

_TABLE = HttpRequestCount._meta.db_table
_COUNT_ADD = (
    f"INSERT INTO {_TABLE} AS c (route, method, status, count) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (route, method, status) DO UPDATE SET count = c.count + excluded.count"
)


@transaction.atomic
def http_request_counts_add(counts: Mapping[tuple[str, str, int], int]) -> None:
    """Add one process's counts of `(route, method, status)` to the shared counters."""
    with connection.cursor() as cursor:
        for (route, method, status), n in sorted(counts.items()):
            cursor.execute(_COUNT_ADD, [route, method, status, n])

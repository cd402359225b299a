"""The daily budget, changed at run time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from billing import counters
from billing.clock import budget_day
from billing.models import BudgetDay, BudgetSetting
from j1msky.errors import InvalidInput
from j1msky.money import round_cost, to_micros
from security.models import ApiKey
from security.services import audit_record


@transaction.atomic
def budget_set(
    *,
    daily_budget: Any,
    owner=None,
    actor_key: ApiKey | None = None,
    actor: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    now: datetime | None = None,
) -> BudgetSetting:
    """Set the daily budget: persisted, in force for today at once, audited as `config.change`.

    The persisted value wins over J1MSKY_DAILY_BUDGET from then on.
    """
    try:
        value = round_cost(daily_budget)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            "daily_budget must be a number", details={"daily_budget": ["A valid number"]}
        ) from exc
    if value < 0:
        raise InvalidInput(
            "daily_budget must not be negative", details={"daily_budget": ["Must be ≥ 0"]}
        )
    now = now or timezone.now()
    BudgetSetting.objects.bulk_create(
        [BudgetSetting(pk=1, daily_budget_micros=counters.default_budget_micros(), updated_at=now)],
        ignore_conflicts=True,
    )
    setting = BudgetSetting.objects.select_for_update().get(pk=1)
    old = setting.daily_budget
    setting.daily_budget_micros = to_micros(value)
    setting.updated_at = now
    setting.save(update_fields=["daily_budget_micros", "updated_at"])
    # Today's row shows the new limit (admissions read the setting itself, in their UPDATE).
    today = budget_day(now)
    counters.budget_day_ensure(today)
    BudgetDay.objects.filter(day__gte=today).update(limit_micros=setting.daily_budget_micros)
    audit_record(
        event="config.change",
        owner=owner,
        api_key=actor_key,
        actor=actor,
        ip_address=ip_address,
        user_agent=user_agent,
        resource_type="billing.budget",
        resource_id="daily_budget",
        details={"setting": "daily_budget", "old": str(round_cost(old)), "new": str(value)},
    )
    return setting

"""Pricing health of one budget day, from its ledger (semantics §10.9)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .numbers import HUNDRED, render_number, round_cost, round_money

HIGH_COST_PER_TASK = Decimal("0.10")


@dataclass(frozen=True)
class ModelUsage:
    """One model's ledger total of a day: dollars and calls."""

    cost: Decimal
    calls: int


@dataclass(frozen=True)
class DayUsage:
    """A budget day's ledger cost, budget, completed tasks and per-model usage; ``reserved``
    (open reservations) counts toward utilization as in §8.1."""

    daily_cost: Decimal
    daily_budget: Decimal
    tasks_completed: int
    by_model: Mapping[str, ModelUsage] = field(default_factory=dict)
    reserved: Decimal = Decimal(0)


def _per(total: Decimal, count: int) -> Decimal:
    return round_cost(total / count) if count else round_cost(Decimal(0))


def _status_and_issues(cost: Decimal, utilization: Decimal, per_task: Decimal):
    """Healthy; over 80 % of the budget a warning, from 100 % critical; an average task over
    $0.10 at least a warning."""
    status, issues = "healthy", []
    if utilization > 80:
        status = "critical" if utilization >= 100 else "warning"
        issues.append(f"High daily cost: ${round_money(cost):.2f}")
    if per_task > HIGH_COST_PER_TASK:
        status = "warning" if status == "healthy" else status
        issues.append(f"High avg cost per task: ${render_number(per_task)}")
    return status, issues


def pricing_health(usage: DayUsage) -> dict[str, Any]:
    cost = round_cost(usage.daily_cost)
    budget = round_money(usage.daily_budget)
    utilization = (
        round_money((cost + usage.reserved) / budget * HUNDRED) if budget > 0 else Decimal("0.00")
    )
    per_task = _per(cost, usage.tasks_completed)
    status, issues = _status_and_issues(cost, utilization, per_task)
    models = {}
    for name, row in usage.by_model.items():
        model_cost = round_cost(row.cost)
        models[name] = {
            "cost": model_cost,
            "calls": row.calls,
            "avg_per_call": _per(model_cost, row.calls),
        }
    return {
        "status": status,
        "daily_cost": cost,
        "daily_budget": budget,
        "budget_utilization_pct": utilization,
        "tasks_completed": usage.tasks_completed,
        "avg_cost_per_task": per_task,
        "issues": issues,
        "by_model": models,
    }

"""Pricing exceptions (semantics §10.6): escalated decisions approved anyway, their aging and
the alert over the open ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .errors import EngineError

AT_RISK_DAYS = 14
EXEC_FOLLOWUP_DAYS = 30
EXEC_FOLLOWUP_AT_RISK = 2


@dataclass(frozen=True)
class ExceptionCounts:
    """The open exceptions: how many, the oldest's age in days, how many are at risk (aged 14
    days or more, so never more than are open)."""

    open_exceptions: int = 0
    oldest_days: int = 0
    at_risk_count: int = 0

    def __post_init__(self) -> None:
        if self.at_risk_count > self.open_exceptions:
            raise EngineError("at_risk_count", "at_risk_count must not exceed open_exceptions")


def exception_age_days(opened_at: datetime, now: datetime) -> int:
    """Whole days an exception has been open (never negative)."""
    return max((now - opened_at).days, 0)


def exception_counts(ages_days: Iterable[int]) -> ExceptionCounts:
    """The counts over the ages (whole days) of the open exceptions."""
    ages = list(ages_days)
    return ExceptionCounts(
        len(ages), max(ages, default=0), sum(age >= AT_RISK_DAYS for age in ages)
    )


def exception_aging(counts: ExceptionCounts) -> dict[str, Any]:
    count, oldest, at_risk = counts.open_exceptions, counts.oldest_days, counts.at_risk_count
    followup = count > 0 and (oldest >= EXEC_FOLLOWUP_DAYS or at_risk >= EXEC_FOLLOWUP_AT_RISK)
    if count == 0:
        risk, action = "none", "no_action"
    elif followup:
        risk, action = "critical", "schedule_executive_review"
    elif at_risk >= 1:
        risk, action = "warning", "manager_followup"
    else:
        risk, action = "ok", "continue_recovery_plan"
    return {
        "open_exceptions": count,
        "oldest_days": oldest,
        "at_risk_count": at_risk,
        "requires_exec_followup": followup,
        "risk_level": risk,
        "next_action": action,
    }


def exception_alert(counts: ExceptionCounts) -> dict[str, Any]:
    aging = exception_aging(counts)
    count, oldest, risk = aging["open_exceptions"], aging["oldest_days"], aging["risk_level"]
    summary = {
        "none": "No open quote exceptions",
        "critical": f"Critical exception risk: {count} open, oldest {oldest}d",
        "warning": f"Warning exception risk: {count} open, oldest {oldest}d",
        "ok": f"Exceptions under control: {count} open",
    }[risk]
    return {"level": risk, "summary": summary, "recommended_action": aging["next_action"]}

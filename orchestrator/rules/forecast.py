"""`monthly_forecast` of the status (semantics §8.1, §15.5).

Definitions this module settles (the spec leaves them open):

- Days are budget days (J1MSKY_TIMEZONE); the month is today's calendar month.
- `month_to_date` = the spend of the month's days from the 1st through today, today so far
  included.
- The daily rate is the average spend of the *history*: the complete budget days among the seven
  before today (today − 7 … today − 1, crossing into the previous month when needed) that fall on
  or after the first budget day with any ledger row. A quiet day inside the history counts as 0;
  days before the service ever spent do not dilute the average.
- Without history (the service first spent today, or never), the rate is *today's run-rate*:
  today's spend so far divided by the time elapsed today and scaled to the length of today,
  where the elapsed time counts as at least one hour (so one call at 00:01 does not project a
  day of 1,440 such calls).
- `days_left` = what is left of today as a fraction of today's length, plus the whole days after
  today up to the month's last day. Today's spend so far is in `month_to_date`, so today is
  neither dropped nor counted twice: at the start of the 1st it is the number of days in the
  month, near midnight on the last day it is close to 0.
- `projected_spend` = month_to_date + rate × days_left; `budget_ceiling` = daily budget × days in
  the month; `delta_to_budget` = ceiling − projected (negative when over). Each is rounded once to
  4 dp, and the delta is taken between the two rounded numbers shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .numbers import ZERO, count, exact, round_cost

HISTORY_DAYS = 7
MIN_ELAPSED_SECONDS = 3600


class ForecastBasis(StrEnum):
    HISTORY_AVERAGE = "history_average"
    TODAY_RUN_RATE = "today_run_rate"


def days_in_month(day: date) -> int:
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return (next_first - first).days


@dataclass(frozen=True)
class ForecastInputs:
    """What the forecast reads.

    `daily_spend` maps budget days to their settled spend (the ledger by day, as
    `/billing/usage` reports it); a day that is missing spent 0. It must cover the month so far
    and the seven days before today. `seconds_elapsed` is the time since today's budget day
    began, `seconds_in_day` today's length (86,400; 82,800 or 90,000 on a DST change).
    `first_ledger_day` is the first budget day with any ledger row, None when there is none.
    """

    today: date
    seconds_elapsed: int
    seconds_in_day: int
    daily_spend: Mapping[date, Decimal]
    first_ledger_day: date | None
    daily_budget: Decimal

    def __post_init__(self) -> None:
        count(self.seconds_elapsed, "seconds_elapsed")
        if count(self.seconds_in_day, "seconds_in_day") == 0:
            raise ValueError("seconds_in_day must be positive")
        if self.seconds_elapsed > self.seconds_in_day:
            raise ValueError("seconds_elapsed must not exceed seconds_in_day")
        object.__setattr__(self, "daily_budget", exact(self.daily_budget, "daily_budget"))

    def spend_on(self, day: date) -> Decimal:
        return exact(self.daily_spend.get(day, ZERO), f"daily_spend[{day.isoformat()}]")


@dataclass(frozen=True)
class MonthlyForecast:
    projected_spend: Decimal
    budget_ceiling: Decimal
    delta_to_budget: Decimal
    # How the projection was made (not part of the status, there for readers and tests):
    month_to_date: Decimal
    daily_rate: Decimal
    days_left: Decimal
    basis: ForecastBasis
    history_days: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "projected_spend": self.projected_spend,
            "budget_ceiling": self.budget_ceiling,
            "delta_to_budget": self.delta_to_budget,
        }


def history_days(today: date, first_ledger_day: date | None) -> list[date]:
    """The complete days the average is taken over, oldest first (see the module docstring)."""
    if first_ledger_day is None:
        return []
    window = (today - timedelta(days=back) for back in range(HISTORY_DAYS, 0, -1))
    return [day for day in window if day >= first_ledger_day]


def today_run_rate(inputs: ForecastInputs) -> Decimal:
    """Today's spend so far scaled to a full day, elapsed time counted as at least one hour."""
    elapsed = max(inputs.seconds_elapsed, MIN_ELAPSED_SECONDS)
    return inputs.spend_on(inputs.today) * inputs.seconds_in_day / elapsed


def monthly_forecast(inputs: ForecastInputs) -> MonthlyForecast:
    """`monthly_forecast` = `{projected_spend, budget_ceiling, delta_to_budget}` (§8.1)."""
    today = inputs.today
    month_days = days_in_month(today)
    month_to_date = sum(
        (inputs.spend_on(today.replace(day=d)) for d in range(1, today.day + 1)), ZERO
    )
    history = history_days(today, inputs.first_ledger_day)
    if history:
        rate = sum((inputs.spend_on(day) for day in history), ZERO) / len(history)
        basis = ForecastBasis.HISTORY_AVERAGE
    else:
        rate, basis = today_run_rate(inputs), ForecastBasis.TODAY_RUN_RATE
    rest_of_today = Decimal(inputs.seconds_in_day - inputs.seconds_elapsed) / inputs.seconds_in_day
    days_left = rest_of_today + (month_days - today.day)
    projected = round_cost(month_to_date + rate * days_left)
    ceiling = round_cost(inputs.daily_budget * month_days)
    return MonthlyForecast(
        projected_spend=projected,
        budget_ceiling=ceiling,
        delta_to_budget=round_cost(ceiling - projected),
        month_to_date=round_cost(month_to_date),
        daily_rate=rate,
        days_left=days_left,
        basis=basis,
        history_days=len(history),
    )

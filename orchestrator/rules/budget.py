"""The day's budget: figures, alert level and the budget events of the beat job.

Semantics §8.1 (`today_spend`, `reserved`, `budget_remaining`, `budget_utilization_pct`,
`budget_alert_level`), §11 (`pricing.budget_warning` / `pricing.budget_critical`) and §14 (the
budget alert check each minute).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .numbers import ZERO, exact, percent_of, round_cost, round_percent


class AlertLevel(StrEnum):
    """`budget_alert_level`, a state machine ok → notice → warning → critical (§8.1)."""

    OK = "ok"
    NOTICE = "notice"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)


_LEVEL_ORDER = (AlertLevel.OK, AlertLevel.NOTICE, AlertLevel.WARNING, AlertLevel.CRITICAL)

# Lower bounds (inclusive) on the 2-dp utilization, highest first (§8.1, ref thresholds).
ALERT_THRESHOLDS: tuple[tuple[Decimal, AlertLevel], ...] = (
    (Decimal(90), AlertLevel.CRITICAL),
    (Decimal(70), AlertLevel.WARNING),
    (Decimal(50), AlertLevel.NOTICE),
)
PRESSURE_LEVELS = frozenset({AlertLevel.WARNING, AlertLevel.CRITICAL})

BUDGET_WARNING_EVENT = "pricing.budget_warning"
BUDGET_CRITICAL_EVENT = "pricing.budget_critical"
# Strict lower bounds on the 2-dp utilization: the reference's "Budget >80%" / ">95%" (§11).
BUDGET_EVENT_THRESHOLDS: tuple[tuple[str, Decimal], ...] = (
    (BUDGET_WARNING_EVENT, Decimal(80)),
    (BUDGET_CRITICAL_EVENT, Decimal(95)),
)


@dataclass(frozen=True)
class BudgetFigures:
    """Today's budget as the ledger and reservations hold it (§7.7, §8.1).

    `today_spend` is settled spend of the budget day, `reserved` the open reservations, both
    exact Decimals; `daily_budget` the limit in force.
    """

    daily_budget: Decimal
    today_spend: Decimal
    reserved: Decimal = ZERO

    def __post_init__(self) -> None:
        for name in ("daily_budget", "today_spend", "reserved"):
            object.__setattr__(self, name, exact(getattr(self, name), name))

    @property
    def committed(self) -> Decimal:
        """Spend plus reservations: what the day has used or promised."""
        return self.today_spend + self.reserved


def budget_utilization_pct(figures: BudgetFigures) -> Decimal:
    """(today_spend + reserved) / budget × 100, 2 dp; 0.00 when the budget is ≤ 0 (§8.1).

    It may exceed 100: a run-time fallback is charged in full even past the reservation.
    """
    return percent_of(figures.committed, figures.daily_budget)


def budget_remaining(figures: BudgetFigures) -> Decimal:
    """max(budget − today_spend − reserved, 0), 4 dp (§8.1)."""
    return round_cost(max(figures.daily_budget - figures.committed, ZERO))


def budget_alert_level(utilization_pct: Decimal) -> AlertLevel:
    """≥ 90 critical, ≥ 70 warning, ≥ 50 notice, else ok (§8.1, ref thresholds).

    Compared on the 2-dp percentage the status shows, so the level always agrees with the
    number next to it (89.995 shows as 90.00 and is critical).
    """
    shown = round_percent(exact(utilization_pct, "utilization_pct"))
    for lower_bound, level in ALERT_THRESHOLDS:
        if shown >= lower_bound:
            return level
    return AlertLevel.OK


# --- the beat job's budget alert check (§11, §14) ------------------------------------------------


@dataclass(frozen=True)
class BudgetAlertState:
    """What the alert check remembers for one budget day.

    `level` is the highest level reached (and logged) that day; `events_sent` the budget event
    types already emitted that day. A state of another day counts as no state at all.
    """

    day: date
    level: AlertLevel = AlertLevel.OK
    events_sent: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class LevelTransition:
    """A change of `budget_alert_level` worth one log line: `previous → current`."""

    previous: AlertLevel
    current: AlertLevel

    def __str__(self) -> str:
        return f"{self.previous} → {self.current}"


@dataclass(frozen=True)
class BudgetAlerts:
    """What one check must do: emit `events` (in this order) and log `transition` if any."""

    events: tuple[str, ...] = ()
    transition: LevelTransition | None = None


def budget_alert_check(
    state: BudgetAlertState | None, *, day: date, utilization_pct: Decimal
) -> tuple[BudgetAlerts, BudgetAlertState]:
    """One run of the budget alert check: `(what to emit and log, the state to remember)`.

    - Events (§11): `pricing.budget_warning` once utilization is > 80.00, `pricing.budget_critical`
      once it is > 95.00 (strict, as the reference's "Budget >80%"), each at most once per budget
      day. A check that finds both crossed at once emits both, warning first; a utilization that
      falls back (a reservation released) and rises again emits nothing new that day.
    - Levels (§8.1): the transition to log is from the highest level already reached today to the
      current level, only when the current level is higher. A jump logs one transition
      (`ok → critical`); falling back is not logged, and each level is logged at most once a day.
    - A new budget day (or no state) starts from `ok` with no events sent.
    """
    if state is None or state.day != day:
        state = BudgetAlertState(day=day)
    pct = round_percent(exact(utilization_pct, "utilization_pct"))
    events = tuple(
        event
        for event, threshold in BUDGET_EVENT_THRESHOLDS
        if pct > threshold and event not in state.events_sent
    )
    level = budget_alert_level(pct)
    transition = None
    if level.rank > state.level.rank:
        transition = LevelTransition(previous=state.level, current=level)
    new_state = BudgetAlertState(
        day=day,
        level=level if transition else state.level,
        events_sent=state.events_sent | frozenset(events),
    )
    return BudgetAlerts(events=events, transition=transition), new_state

"""Provider windows and the operational flags of the status (semantics §7.7, §8.1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .budget import PRESSURE_LEVELS, AlertLevel
from .numbers import ZERO, count, percent_of, round_percent

HOT_PROVIDER_PCT = Decimal(80)  # inclusive, on the 2-dp utilization (§8.1, ref)

ACTION_CRITICAL = "Pause non-critical workloads and force cheapest model routing"
ACTION_WARNING = "Shift medium/low-priority tasks to k2p5/minimax and monitor hourly"
ACTION_THROTTLE = "Throttle traffic for: {providers}"
ACTION_NONE = "No action required"


@dataclass(frozen=True)
class ProviderWindow:
    """One provider's current hourly window: slots `used` of `limit` (§7.7)."""

    provider: str
    used: int
    limit: int

    def __post_init__(self) -> None:
        count(self.used, "used")
        count(self.limit, "limit")


@dataclass(frozen=True)
class ProviderUsage:
    """A `provider_usage[p]` row: `{current, hourly, remaining, utilization_pct}` (§8.1)."""

    current: int
    hourly: int
    remaining: int
    utilization_pct: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "hourly": self.hourly,
            "remaining": self.remaining,
            "utilization_pct": self.utilization_pct,
        }


def provider_usage(windows: Sequence[ProviderWindow]) -> dict[str, ProviderUsage]:
    """Every provider's row, in the order given (the catalogue's provider order).

    `remaining` = max(limit − used, 0); `utilization_pct` = used / limit × 100 at 2 dp, 0.00 for
    a limit of 0 (it may pass 100 when a limit is lowered below the slots already taken).
    """
    rows: dict[str, ProviderUsage] = {}
    for window in windows:
        if window.provider in rows:
            raise ValueError(f"provider {window.provider!r} is listed twice")
        rows[window.provider] = ProviderUsage(
            current=window.used,
            hourly=window.limit,
            remaining=max(window.limit - window.used, 0),
            utilization_pct=percent_of(Decimal(window.used), Decimal(window.limit)),
        )
    return rows


@dataclass(frozen=True)
class OperationalFlags:
    """`operational_flags` (§8.1), keys in the reference's order by `as_dict()`."""

    budget_alert_level: AlertLevel
    max_provider_utilization_pct: Decimal
    hot_providers: tuple[str, ...]
    requires_ops_attention: bool
    recommended_action: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "budget_alert_level": str(self.budget_alert_level),
            "max_provider_utilization_pct": self.max_provider_utilization_pct,
            "hot_providers": list(self.hot_providers),
            "requires_ops_attention": self.requires_ops_attention,
            "recommended_action": self.recommended_action,
        }


def hot_providers(usage: Mapping[str, ProviderUsage]) -> tuple[str, ...]:
    """Providers at ≥ 80.00 % of their window, in provider order (§8.1, ref)."""
    return tuple(
        p for p, row in usage.items() if round_percent(row.utilization_pct) >= HOT_PROVIDER_PCT
    )


def recommended_action(level: AlertLevel, hot: Sequence[str]) -> str:
    """First match: critical, warning, hot providers, else no action (§8.1, ref texts)."""
    if level == AlertLevel.CRITICAL:
        return ACTION_CRITICAL
    if level == AlertLevel.WARNING:
        return ACTION_WARNING
    if hot:
        return ACTION_THROTTLE.format(providers=", ".join(hot))
    return ACTION_NONE


def operational_flags(level: AlertLevel, usage: Mapping[str, ProviderUsage]) -> OperationalFlags:
    """The flags from the budget level and the provider rows (`provider_usage`'s result).

    `requires_ops_attention` = level warning or critical, or any hot provider;
    `max_provider_utilization_pct` = the highest row, 0.00 with no providers.
    """
    level = AlertLevel(level)
    hot = hot_providers(usage)
    highest = max((row.utilization_pct for row in usage.values()), default=ZERO)
    return OperationalFlags(
        budget_alert_level=level,
        max_provider_utilization_pct=round_percent(highest),
        hot_providers=hot,
        requires_ops_attention=level in PRESSURE_LEVELS or bool(hot),
        recommended_action=recommended_action(level, hot),
    )

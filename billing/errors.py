"""Refusals from admission. Each says why, in the one envelope (semantics §2)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from j1msky.errors import DomainError, TooManyRequests


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _number(value: Decimal) -> float:
    # Rendered as a JSON number like every other amount; the value is already 4 dp.
    return float(value)


class BudgetExceeded(DomainError):
    """402 `budget_exceeded`: the reservation does not fit today's (or the key's) budget."""

    http_status = 402
    code = "budget_exceeded"
    message = "Daily budget exceeded"

    def __init__(
        self,
        *,
        scope: str,
        limit: Decimal,
        today_spend: Decimal,
        reserved: Decimal,
        requested: Decimal,
        resets_at: datetime,
        api_key_id: str | None = None,
    ) -> None:
        self.scope = scope
        details: dict[str, Any] = {
            "scope": scope,
            "limit": _number(limit),
            "today_spend": _number(today_spend),
            "reserved": _number(reserved),
            "requested": _number(requested),
            "budget_remaining": _number(max(limit - today_spend - reserved, Decimal(0))),
            "resets_at": _iso(resets_at),
        }
        if api_key_id:
            details["api_key_id"] = api_key_id
        message = "API key daily budget exceeded" if scope == "api_key" else "Daily budget exceeded"
        super().__init__(message, details=details)


class ProviderRateLimited(TooManyRequests):
    """429 `provider_rate_limited`: the provider's hourly window is full until `reset_at`."""

    code = "provider_rate_limited"
    message = "Provider rate limit reached"

    def __init__(
        self, *, provider: str, used: int, limit: int, reset_at: datetime, retry_after: int
    ) -> None:
        self.provider = provider
        super().__init__(
            f"Provider {provider} rate limit reached",
            retry_after=retry_after,
            details={
                "provider": provider,
                "used": used,
                "limit": limit,
                "reset_at": _iso(reset_at),
            },
        )

"""Exact numbers for the orchestrator rules (semantics §1 "Money").

Money and percentages are Decimal; a float is refused rather than rounded, so a value that left
the database exact stays exact. Rounding is ROUND_HALF_UP on the exact value, once, where a value
leaves a rule: costs and spend 4 dp, percentages and averages 2 dp.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

COST_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def exact(value: Any, name: str) -> Decimal:
    """A finite Decimal from a Decimal or an int; floats, bools and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name} must be finite, not {number}")
    return number


def count(value: Any, name: str) -> int:
    """A non-negative int (calls, tokens, window slots)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, not {value!r}")
    return value


def _quantize(value: Decimal, places: Decimal) -> Decimal:
    result = value.quantize(places, rounding=ROUND_HALF_UP)
    return result if result else abs(result)  # never "-0.00"


def round_cost(value: Decimal) -> Decimal:
    """Costs, spend and budgets: 4 dp (0.00125 → 0.0013)."""
    return _quantize(value, COST_PLACES)


def round_percent(value: Decimal) -> Decimal:
    """Percentages and per-call averages: 2 dp (81.8059 → 81.81)."""
    return _quantize(value, PERCENT_PLACES)


def percent_of(used: Decimal, limit: Decimal) -> Decimal:
    """used / limit × 100 at 2 dp; 0.00 when the limit is ≤ 0 (semantics §8.1)."""
    if limit <= 0:
        return round_percent(ZERO)
    return round_percent(used / limit * HUNDRED)

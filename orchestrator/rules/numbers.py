"""Exact numbers for the orchestrator rules (semantics §1 "Money").

Money and percentages are Decimal; a float is refused rather than rounded, so a value that left
the database exact stays exact. Rounding is ROUND_HALF_UP on the exact value, once, where a value
leaves a rule: costs and spend 4 dp, percentages and averages 2 dp.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from j1msky.money import round_cost, round_percent

HUNDRED = Decimal(100)
ZERO = Decimal(0)

__all__ = ["HUNDRED", "ZERO", "count", "exact", "percent_of", "round_cost", "round_percent"]


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


def percent_of(used: Decimal, limit: Decimal) -> Decimal:
    """used / limit × 100 at 2 dp; 0.00 when the limit is ≤ 0 (semantics §8.1)."""
    if limit <= 0:
        return round_percent(ZERO)
    return round_percent(used / limit * HUNDRED)

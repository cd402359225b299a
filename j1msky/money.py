"""Money math: pure functions over Decimal and integer micro-dollars (standard library only).

The database holds every billing amount as an integer number of micro-dollars (1e-6 USD). SQLite
stores a DECIMAL column as a binary float (REAL affinity), so `spent + reserved + x <= limit`
would be inexact there (37 × 0.1 > 3.7); integers make the admission check exact on SQLite and
PostgreSQL alike. Code works in Decimal and converts at the column (DESIGN invariant 1).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

MICROS_PER_DOLLAR = 1_000_000
COST_PLACES = Decimal("0.0001")  # costs, spend and budgets render to 4 dp
PERCENT_PLACES = Decimal("0.01")  # percentages render to 2 dp
_MICRO = Decimal("0.000001")


def to_decimal(value: Any) -> Decimal:
    """A finite Decimal from a Decimal, int or numeric string (never from a float)."""
    if isinstance(value, bool | float):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _quantize(value: Decimal, places: Decimal, rounding: str) -> Decimal:
    result = value.quantize(places, rounding=rounding)
    return result if result else abs(result)  # never "-0.0000"


def round_cost(value: Any) -> Decimal:
    """Costs and spend: 4 dp, ROUND_HALF_UP on the exact value (0.00125 → 0.0013)."""
    return _quantize(to_decimal(value), COST_PLACES, ROUND_HALF_UP)


def round_cost_up(value: Any) -> Decimal:
    """A reservation (a worst case) never rounds down: 4 dp, toward +infinity."""
    return _quantize(to_decimal(value), COST_PLACES, ROUND_CEILING)


def round_percent(value: Any) -> Decimal:
    return _quantize(to_decimal(value), PERCENT_PLACES, ROUND_HALF_UP)


def to_micros(value: Any) -> int:
    """Exact conversion to integer micro-dollars; refuses a value finer than one micro-dollar."""
    amount = to_decimal(value)
    if amount != amount.quantize(_MICRO):
        raise ValueError(f"{amount} has more than 6 decimal places")
    return int(amount * MICROS_PER_DOLLAR)


def from_micros(micros: int) -> Decimal:
    """Micro-dollars to a Decimal dollar amount, exactly, at 4 dp when that loses nothing."""
    value = Decimal(int(micros)).scaleb(-6)
    coarse = value.quantize(COST_PLACES)
    return coarse if coarse == value else value


def token_cost(
    *, input_tokens: int, output_tokens: int, input_rate: Decimal, output_rate: Decimal
) -> Decimal:
    """One provider call: in/1000 × input_rate + out/1000 × output_rate, 4 dp ROUND_HALF_UP.

    Rates are USD per 1K tokens (the rate card, semantics §10.1). Rounded once, per call; a run's
    cost is the sum of its calls' rounded costs.
    """
    for name, count in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    exact = (
        Decimal(input_tokens) * to_decimal(input_rate)
        + Decimal(output_tokens) * to_decimal(output_rate)
    ) / 1000
    return round_cost(exact)


def utilization_pct(used: Decimal, limit: Decimal) -> Decimal:
    """used / limit × 100 at 2 dp; 0 when the limit is ≤ 0 (semantics §8.1)."""
    if limit <= 0:
        return round_percent(0)
    return round_percent(used / limit * 100)

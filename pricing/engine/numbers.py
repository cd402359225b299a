"""Rounding and rendering (semantics §1): ROUND_HALF_UP, once, where a value leaves the engine;
costs 4 dp; prices, markups, percentages and ratios 2 dp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

HUNDRED = Decimal(100)
_COST_PLACES = Decimal("0.0001")
_CENT = Decimal("0.01")


def _quantize(value: Decimal, places: Decimal) -> Decimal:
    result = value.quantize(places, rounding=ROUND_HALF_UP)
    return result if result else abs(result)  # never "-0.00"


def round_cost(value: Decimal) -> Decimal:
    return _quantize(value, _COST_PLACES)


def round_money(value: Decimal) -> Decimal:
    """Prices, markups, percentages and ratios: 2 dp."""
    return _quantize(value, _CENT)


def render_number(value: Decimal) -> str:
    """As Python's str() of the value as a float: 50.00 -> "50.0", 16.70 -> "16.7"."""
    text = format(value, "f")
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text


def render_time(moment: datetime) -> str:
    """ISO 8601; UTC as ``Z``, any other offset kept."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def mean(values: Sequence[Decimal]) -> Decimal:
    """The 2-dp mean; 0 for no values."""
    return round_money(sum(values, Decimal(0)) / len(values)) if values else round_money(Decimal(0))


def ratio(part: int, whole: int) -> Decimal:
    """``part / whole`` (2 dp); 0 when ``whole`` is 0."""
    return round_money(Decimal(part) / max(whole, 1))

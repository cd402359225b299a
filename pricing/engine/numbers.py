"""Rounding and rendering (semantics §1): ROUND_HALF_UP, once, where a value leaves the engine;
costs 4 dp; prices, markups, percentages and ratios 2 dp."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from j1msky.money import round_cost, round_percent

HUNDRED = Decimal(100)

__all__ = ["HUNDRED", "mean", "ratio", "render_number", "render_time", "round_cost", "round_money"]


def round_money(value: Decimal) -> Decimal:
    """Prices, markups, percentages and ratios: 2 dp."""
    return round_percent(value)


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

"""The number fields every response uses (semantics §1): Decimals rendered as JSON numbers,
rounded once, half-up, at the edge."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from typing import Any

from rest_framework import serializers


def Cost(**kwargs: Any) -> serializers.DecimalField:
    """A cost, spend, budget or refund: JSON number, 4 dp."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=4, rounding=ROUND_HALF_UP, **kwargs
    )


def Figure(**kwargs: Any) -> serializers.DecimalField:
    """A price, markup, percentage or ratio: JSON number, 2 dp."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=2, rounding=ROUND_HALF_UP, **kwargs
    )


class Text(serializers.CharField):
    """Text a client sends: a JSON string, never a number or a boolean coerced into one
    (`"task": 123` is a 400, not the task "123")."""

    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

"""The number fields every response uses (semantics §1): Decimals rendered as JSON numbers,
rounded once, half-up, at the edge."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP
from typing import Any

from django.core.validators import RegexValidator
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


# Some character that is not whitespace, and no NUL anywhere: what a trimmed, non-blank text
# is. The schema shows it as the field's pattern.
NOT_BLANK = RegexValidator(r"^[^\u0000]*[^\s\u0000][^\u0000]*$", "This field may not be blank.")


class Catalogued:
    """A field naming an entry of a catalogue that changes at run time (a model alias, a team):
    `catalogue()` lists the names it takes now, and the schema, built when it is served, lists
    them as the field's enum."""

    catalogue: Callable[[], list[str]]


class Text(serializers.CharField):
    """Text a client sends: a JSON string, never a number or a boolean coerced into one
    (`"task": 123` is a 400, not the task "123")."""

    default_error_messages = {"invalid": "Must be a string."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if self.trim_whitespace and not self.allow_blank:
            self.validators.append(NOT_BLANK)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            # Counted before trimming, as the schema's maxLength counts.
            self.fail("max_length", max_length=self.max_length, length=len(data))
        return super().to_internal_value(data)


class CatalogueText(Catalogued, Text):
    """Text naming an entry of `catalogue`; the service checks it and names the allowed ones."""

    def __init__(self, *, catalogue: Callable[[], list[str]], **kwargs: Any) -> None:
        self.catalogue = catalogue
        super().__init__(**kwargs)

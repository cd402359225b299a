"""Field types of the pricing API: request values (DRF fields whose messages name the field, and
inside an array the item, as the reference does), arrays and objects that may also come as JSON
text, and the money fields of responses.

A request field is read the way the pricing API always read it: a JSON null means "not given"
(the default applies), and so does blank text at the top of a body (a blank form field); inside
an array item blank text is a bad value. Messages read `{name}{where} …`, where `where` places an
array item (`estimated_input in scenario 0 must be …`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from j1msky.api.fields import Catalogued
from j1msky.api.parsers import BadText, json_loads
from pricing import engine

MAX_COUNT = 1_000_000_000
MAX_MAGNITUDE = Decimal(10) ** 12

# --- request values ---------------------------------------------------------------------------


class RequestField:
    """Mixin for the request fields: messages get `name` and `where` from the serializer that
    holds the field (`RequestSerializer`)."""

    default_error_messages = {"required": "{name} is required{where}"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # An optional value may be null (not given); the schema says so.
        kwargs.setdefault("allow_null", kwargs.get("required") is False)
        super().__init__(*args, **kwargs)

    @property
    def name(self) -> str:
        return getattr(self.parent, "name_prefix", "") + self.field_name

    @property
    def where(self) -> str:
        return getattr(self.parent, "where", "")

    def fail(self, key: str, **kwargs: Any) -> None:
        super().fail(key, name=self.name, where=self.where, **kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        """A JSON null, and a blank form value at the top of a body, mean "not given" (a form
        cannot leave a field out of a fixed set of inputs; JSON can, so blank JSON text is
        checked as the value it is)."""
        blank = isinstance(data, str) and not data.strip() and self._in_a_form()
        if data is None and not getattr(self.parent, "null_is_omitted", True):
            self.fail("invalid")
        if data is None or (blank and getattr(self.parent, "blank_is_omitted", True)):
            data = empty
        return super().run_validation(data)

    def _in_a_form(self) -> bool:
        return hasattr(getattr(self.root, "initial_data", None), "getlist")


class CountField(RequestField, serializers.IntegerField):
    """A whole number from 0: a JSON integer or a string of ASCII digits ("1200"). Booleans,
    fractions (even 1200.0), signs, exponents, underscores and other digits are refused."""

    default_error_messages = {"invalid": "{name}{where} must be an integer between 0 and {top}"}

    def __init__(self, *, max_value: int = MAX_COUNT, **kwargs: Any) -> None:
        super().__init__(min_value=0, max_value=max_value, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and (text := data.strip()).isascii() and text.isdigit():
            digits = text.lstrip("0") or "0"
            data = int(digits) if len(digits) <= len(str(self.max_value)) else None
        if not isinstance(data, int) or isinstance(data, bool) or not 0 <= data <= self.max_value:
            self.fail("invalid", top=self.max_value)
        return data


class TokensField(CountField):
    """A token estimate, 0 to 10,000,000 (§10.2)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_value=engine.MAX_TOKENS, **kwargs)


class NumberField(RequestField, serializers.DecimalField):
    """A finite number (JSON number or numeric text) of at most 10^12 within the field's bounds,
    kept exact (a float is read through its text)."""

    default_error_messages = {
        "invalid": "{name}{where} must be a number",
        "max_string_length": "{name}{where} must be a number",
        "range": "{name}{where} must be between {low} and {high}",
    }

    def __init__(
        self,
        *,
        min_value: Decimal = -MAX_MAGNITUDE,
        max_value: Decimal = MAX_MAGNITUDE,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            max_digits=None,
            decimal_places=None,
            min_value=Decimal(min_value),
            max_value=Decimal(max_value),
            **kwargs,
        )

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        # DecimalField reads blank text as null; here blank is omitted or a bad value.
        return serializers.Field.validate_empty_values(self, data)

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, str) and "_" in data:
            self.fail("invalid")
        value = super().to_internal_value(data)
        if abs(value) > MAX_MAGNITUDE:
            self.fail("invalid")
        if not self.min_value <= value <= self.max_value:
            self.fail("range", low=self.min_value, high=self.max_value)
        return value


class MarginField(NumberField):
    """A margin percentage: at most 100."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_value=Decimal(100), **kwargs)


class FlagField(RequestField, serializers.BooleanField):
    """A JSON boolean (`true`/`false`; no text or number stands for one)."""

    default_error_messages = {"invalid": "{name}{where} must be a boolean"}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class ChoiceText(RequestField, serializers.ChoiceField):
    """One of the choices, exactly (`Unsupported complexity: extreme`)."""

    default_error_messages = {"required": "Unsupported {name}{where}: None"}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or data not in self.choices:
            raise serializers.ValidationError(
                engine.unsupported(self.name, data, self.where), code="invalid_choice"
            )
        return data


def _rate_card_aliases() -> list[str]:
    from pricing.selectors import rate_card_current

    return list(rate_card_current().rates)


class ModelAliasField(Catalogued, RequestField, serializers.CharField):
    """A model alias as given; whether it can be quoted is the rate card's call (the engine
    checks it against the card in force). The schema lists the card's aliases."""

    catalogue = staticmethod(_rate_card_aliases)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError(engine.unsupported(self.name, data, self.where))
        return data


class LabelField(RequestField, serializers.CharField):
    """Text of at most `max_length` characters, trimmed; blank is "not given"."""

    default_error_messages = {"invalid": "{name} must be text of at most {top} characters"}

    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, allow_blank=True, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or len(data.strip()) > self.max_length:
            self.fail("invalid", top=self.max_length)
        return data.strip()


# --- arrays and objects, also as JSON text ----------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


class JsonText:
    """Mixin for an array or object that may also come as JSON text (a form field, or a string
    in a JSON body; semantics §1). Blank text is malformed JSON, not an omitted field."""

    kind = "array"

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads a blank form value of an optional field as "omitted"; here it is malformed.
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)

    def parsed(self, data: Any) -> Any:
        if not isinstance(data, str):
            return data
        try:
            return json_loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
        except BadText as exc:
            raise serializers.ValidationError(f"{self.field_name}: {exc}") from None
        except ValueError:
            raise serializers.ValidationError(
                f"{self.field_name} must be a JSON {self.kind} (not valid JSON)"
            ) from None


class JsonArrayField(JsonText, serializers.ListField):
    """A non-empty array of objects (at most `max_length`), each validated by the `child`
    serializer with errors naming the item: `scenarios[2].model`, `… in scenario 2 …`."""

    default_error_messages = {
        "not_a_list": "{name} must be a JSON array",
        "empty": "{name} must be a non-empty JSON array",
        "too_long": "{name} must contain at most {top} items",
    }

    def __init__(self, *, item: str, **kwargs: Any) -> None:
        self.item = item
        kwargs.setdefault("min_length", 1)  # what `allow_empty=False` means, for the schema
        super().__init__(allow_empty=False, **kwargs)

    def fail(self, key: str, **kwargs: Any) -> None:
        super().fail(key, name=self.field_name, **kwargs)

    def to_internal_value(self, data: Any) -> list:
        data = self.parsed(data)
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("too_long", top=self.max_length)
        return super().to_internal_value(data)

    def run_child_validation(self, data: list) -> list:
        results, errors = [], {}
        for index, item in enumerate(data):
            if not isinstance(item, Mapping):
                errors[index] = [f"{self.item.capitalize()} {index} must be an object"]
                continue
            self.child.where = f" in {self.item} {index}"
            try:
                results.append(self.child.run_validation(item))
            except serializers.ValidationError as exc:
                errors[index] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return results


class JsonTextSchema(OpenApiSerializerFieldExtension):
    """Documents a `JsonText` field as its array or object. The same value as JSON text is
    taken too (how a form body carries it, semantics §1), which the JSON schema leaves out: no
    schema can say "a string holding a valid array of quotes"."""

    target_class = JsonText
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)


# --- response fields --------------------------------------------------------------------------


def Cost(**kwargs: Any) -> serializers.DecimalField:
    """A cost: JSON number, 4 dp."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=4, rounding=ROUND_HALF_UP, **kwargs
    )


def Num(**kwargs: Any) -> serializers.DecimalField:
    """A price, markup, percentage or ratio: JSON number, 2 dp."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=2, rounding=ROUND_HALF_UP, **kwargs
    )

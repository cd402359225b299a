"""Field types of the pricing API: request values the engine checks, JSON-or-text arrays and
objects, and the money fields of responses."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from j1msky.api.parsers import BadText, json_loads
from pricing import engine

# --- request fields ---------------------------------------------------------------------------


class RawField(serializers.Field):
    """A value the engine validates; blank or null means not given."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not data.strip():
            return None
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(OpenApiTypes.INT)
class RawInteger(RawField):
    pass


@extend_schema_field(OpenApiTypes.NUMBER)
class RawNumber(RawField):
    pass


@extend_schema_field(OpenApiTypes.STR)
class RawText(RawField):
    pass


@extend_schema_field({"type": "string", "enum": list(engine.COMPLEXITIES)})
class RawComplexity(RawField):
    pass


@extend_schema_field({"type": "string", "enum": list(engine.SEGMENTS)})
class RawSegment(RawField):
    pass


@extend_schema_field({"type": "string", "enum": list(engine.DELIVERY_TYPES)})
class RawDeliveryType(RawField):
    pass


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _json_text(field: serializers.Field, data: Any, kind: str) -> Any:
    if not isinstance(data, str):
        return data
    try:
        return json_loads(data, parse_float=Decimal, parse_constant=_refuse_constant)
    except BadText as exc:
        raise serializers.ValidationError(f"{field.field_name}: {exc}") from None
    except ValueError:
        raise serializers.ValidationError(
            f"{field.field_name} must be a JSON {kind} (not valid JSON)"
        ) from None


@extend_schema_field(
    {
        "oneOf": [
            {"type": "array", "items": {"type": "object"}},
            {"type": "string", "description": "The array as JSON text (form bodies)."},
        ]
    }
)
class JsonArrayField(serializers.Field):
    """A non-empty array of objects, or that array as JSON text; items are checked by the
    engine. Blank text is malformed JSON, not an omitted field."""

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads a blank form value of an optional field as "omitted"; here it is malformed.
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> list:
        data = _json_text(self, data, "array")
        if not isinstance(data, list):
            raise serializers.ValidationError(f"{self.field_name} must be a JSON array")
        if not data:
            raise serializers.ValidationError(f"{self.field_name} must be a non-empty JSON array")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class JsonObjectField(serializers.Field):
    """An object, or that object as JSON text (form bodies)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict:
        data = _json_text(self, data, "object")
        if not isinstance(data, dict):
            raise serializers.ValidationError(f"{self.field_name} must be a JSON object")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def _table(name: str, keys: tuple[str, ...]) -> type[JsonObjectField]:
    """A JsonObjectField class documented as an object of numbers with the given keys."""
    schema = {
        "type": "object",
        "properties": {key: {"type": "number"} for key in keys},
        "additionalProperties": False,
    }
    return extend_schema_field(schema)(type(name, (JsonObjectField,), {}))


ComplexityMarkupField = _table("ComplexityMarkupField", engine.COMPLEXITIES)
SegmentAdjustmentsField = _table("SegmentAdjustmentsField", engine.SEGMENTS)
MarginThresholdsField = _table("MarginThresholdsField", engine.DELIVERY_TYPES)
MarginBandsField = _table("MarginBandsField", ("strong", "healthy"))


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

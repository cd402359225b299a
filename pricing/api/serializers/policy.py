"""The `PUT /pricing/policy` body: the tables and fields to change, as objects (or their JSON
text) of numbers; unknown keys are refused by name. The policy service checks the values (bounds,
2 dp, final markups), for the admin as well."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from pricing import engine
from pricing.api.serializers.fields import JsonText, NumberField
from pricing.api.serializers.requests import RequestSerializer


class PolicyTableSerializer(JsonText, RequestSerializer):
    # One table of the policy: an object (or its JSON text) of numbers by key; unknown keys
    # are refused by name (`complexity_markup.extreme`). The service checks the bounds.

    kind = "object"
    refuses_unknown_fields = True
    blank_is_omitted = False
    null_is_omitted = False

    @property
    def name_prefix(self) -> str:
        return f"{self.field_name}."

    def to_internal_value(self, data: Any) -> dict[str, Decimal]:
        data = self.parsed(data)
        if not isinstance(data, Mapping):
            raise serializers.ValidationError(f"{self.field_name} must be a JSON object")
        allowed = ", ".join(self.fields)
        unknown = {
            key: [f"Unknown key {self.field_name}.{key}. Allowed: {allowed}"]
            for key in data
            if key not in self.fields
        }
        if unknown:
            raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


def policy_table(name: str, keys: tuple[str, ...]) -> type[PolicyTableSerializer]:
    """A policy table serializer named `Pricing{name}Serializer` with a number per key."""
    fields = {key: NumberField(required=False, allow_null=False) for key in keys}
    attrs = {**fields, "__module__": __name__, "__doc__": "The keys to change, each a number."}
    return type(f"Pricing{name}Serializer", (PolicyTableSerializer,), attrs)


ComplexityMarkupSerializer = policy_table("ComplexityMarkup", engine.COMPLEXITIES)
SegmentAdjustmentsSerializer = policy_table("SegmentAdjustments", engine.SEGMENTS)
MarginThresholdsSerializer = policy_table("MarginThresholds", engine.DELIVERY_TYPES)
MarginBandsSerializer = policy_table("MarginBands", ("strong", "healthy"))


@dataclass(frozen=True)
class PolicyUpdate:
    changes: dict[str, Any]
    note: str
    version: int | None


class PricingPolicyUpdateRequestSerializer(RequestSerializer):
    complexity_markup = ComplexityMarkupSerializer(
        required=False, help_text="Markup per complexity (> 0)."
    )
    segment_adjustments = SegmentAdjustmentsSerializer(
        required=False, help_text="Added to the complexity markup."
    )
    minimum_price = NumberField(required=False, help_text="Price floor, 0-1,000,000.")
    margin_thresholds = MarginThresholdsSerializer(
        required=False, help_text="Minimum margin % per delivery type."
    )
    margin_bands = MarginBandsSerializer(
        required=False, help_text="Margin % from which a quote is strong / healthy."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited; a newer policy in force makes this a 409.",
    )

    def input(self) -> PolicyUpdate:
        changes = dict(self.validated_data)
        note, version = changes.pop("note", ""), changes.pop("version", None)
        return PolicyUpdate(changes=changes, note=note, version=version)

"""Billing API shapes: query/body validation (shape only) and the responses."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from billing.selectors import usage_default_period
from j1msky.api.fields import Cost, Figure, Text

DATE_FORMATS = ["%Y-%m-%d"]


# --- usage ---------------------------------------------------------------------------------------


class UsageQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="First day, YYYY-MM-DD."
    )
    end = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="Last day, YYYY-MM-DD (inclusive)."
    )
    owner = Text(
        required=False,
        max_length=150,
        help_text="Staff keys only: one owner's spend (username); default every owner's.",
    )

    def validate(self, attrs):
        """Month to date (J1MSKY_TIMEZONE) unless given; `end` may not precede `start`."""
        default_start, default_end = usage_default_period()
        attrs.setdefault("start", default_start)
        attrs.setdefault("end", default_end)
        if attrs["end"] < attrs["start"]:
            message = f"end ({attrs['end']}) must not be before start ({attrs['start']})"
            raise serializers.ValidationError({"end": [message]})
        return attrs


class BillingUsageSerializer(serializers.Serializer):
    period = serializers.CharField(help_text='"YYYY-MM-DD to YYYY-MM-DD"')
    owner = serializers.SerializerMethodField(
        help_text="Whose spend: a username, or null for every owner's."
    )
    total_cost = Cost(help_text="Equals the sum of by_model and the sum of by_day exactly.")
    by_model = serializers.DictField(child=Cost(), help_text="Cost per model alias.")
    by_day = serializers.DictField(
        child=Cost(), help_text="Cost per budget day (J1MSKY_TIMEZONE) that had spend."
    )
    simulated_cost = Cost(
        help_text="The part of total_cost charged for runs on the simulated backend (providers "
        "without an API key): it rehearses the budget, no provider was paid."
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, report) -> str | None:
        return report.owner.get_username() if report.owner is not None else None


# --- budget --------------------------------------------------------------------------------------


class KeyBudgetSerializer(serializers.Serializer):
    daily_budget = Cost()
    today_spend = Cost()
    reserved = Cost()
    budget_remaining = Cost()
    budget_utilization_pct = Figure()


class BudgetSerializer(serializers.Serializer):
    daily_budget = Cost()
    timezone = serializers.CharField(help_text="J1MSKY_TIMEZONE: the budget day's time zone.")
    today_spend = Cost(help_text="Settled spend today.")
    reserved = Cost(help_text="Open reservations today.")
    budget_remaining = Cost(help_text="max(daily_budget − today_spend − reserved, 0)")
    budget_utilization_pct = Figure(help_text="(today_spend + reserved) / daily_budget × 100")
    resets_at = serializers.DateTimeField(help_text="When the next budget day begins (UTC).")
    simulated_spend = Cost(
        help_text="The part of today_spend charged for simulated runs (no provider was paid)."
    )
    key_budget = KeyBudgetSerializer(
        allow_null=True,
        help_text="The calling key's own daily budget today; null when it has none.",
    )


class BudgetUpdateSerializer(serializers.Serializer):
    daily_budget = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=0,
        help_text="USD per budget day, ≥ 0, at most 4 decimal places.",
    )

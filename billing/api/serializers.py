"""Billing API shapes: query/body validation (shape only) and the responses."""

from __future__ import annotations

from rest_framework import serializers

from j1msky.api.fields import Cost, Figure

DATE_FORMATS = ["%Y-%m-%d"]


# --- usage ---------------------------------------------------------------------------------------


class UsageQuerySerializer(serializers.Serializer):
    start = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="First day, YYYY-MM-DD."
    )
    end = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="Last day, YYYY-MM-DD (inclusive)."
    )
    owner = serializers.CharField(
        required=False,
        max_length=150,
        help_text="Staff keys only: one owner's spend (username); default every owner's.",
    )


class BillingUsageSerializer(serializers.Serializer):
    period = serializers.CharField(help_text='"YYYY-MM-DD to YYYY-MM-DD"')
    owner = serializers.CharField(
        allow_null=True, help_text="Whose spend: a username, or null for every owner's."
    )
    total_cost = Cost(help_text="Equals the sum of by_model and the sum of by_day exactly.")
    by_model = serializers.DictField(child=Cost(), help_text="Cost per model alias.")
    by_day = serializers.DictField(
        child=Cost(), help_text="Cost per budget day (J1MSKY_TIMEZONE) that had spend."
    )


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

"""Request bodies of the pricing API (shape only; the engine checks the values)."""

from __future__ import annotations

from rest_framework import serializers

from pricing.api.serializers.fields import (
    ComplexityMarkupField,
    JsonArrayField,
    MarginBandsField,
    MarginThresholdsField,
    RawComplexity,
    RawDeliveryType,
    RawInteger,
    RawNumber,
    RawSegment,
    RawText,
    SegmentAdjustmentsField,
)

# --- requests ---------------------------------------------------------------------------------

TOKENS_HELP = "Integer token estimate, 0-10,000,000."


class PricingQuoteRequestSerializer(serializers.Serializer):
    model = RawText(required=True, help_text="An enabled model alias: k2p5, sonnet, opus, …")
    estimated_input = RawInteger(help_text=f"{TOKENS_HELP} Default 1000.")
    estimated_output = RawInteger(help_text=f"{TOKENS_HELP} Default 500.")
    estimated_tokens = RawInteger(
        help_text="Single token count priced at the blended rate, instead of input/output."
    )
    complexity = RawComplexity(help_text="Default medium.")
    delivery_type = RawDeliveryType(help_text="Guardrail threshold to apply. Default task.")
    segment = RawSegment(help_text="Default mid_market.")


class PricingBatchQuotesRequestSerializer(serializers.Serializer):
    model = RawText(required=True, help_text="An enabled model alias.")
    estimated_input = RawInteger(help_text=f"{TOKENS_HELP} Default 1000.")
    estimated_output = RawInteger(help_text=f"{TOKENS_HELP} Default 500.")
    complexity = RawComplexity(help_text="Default medium.")
    delivery_type = RawDeliveryType(help_text="Default task.")


class PricingDecisionRequestSerializer(PricingQuoteRequestSerializer):
    model = RawText(help_text="An enabled model alias; required unless quote_id is given.")
    approver = RawText(help_text="Decision owner label, at most 100 characters. Default ops-auto.")
    quote_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="Decide on a stored quote of yours (no quote fields then).",
    )


class PricingPortfolioAlertRequestSerializer(serializers.Serializer):
    scenario_count = RawInteger(help_text="Default 0.")
    compliant_count = RawInteger(help_text="At most scenario_count. Default 0.")
    average_margin_pct = RawNumber(help_text="Default 0.")


class PricingWeeklyMetricsRequestSerializer(serializers.Serializer):
    quotes = JsonArrayField(
        required=False,
        help_text="Quote decision objects {decision_status, gross_margin_pct, exception_created?,"
        " exception_closed?}. Omitted: this ISO week's stored decisions.",
    )


class PricingWeeklyComparisonRequestSerializer(serializers.Serializer):
    current_total_quotes = RawInteger()
    current_approval_rate = RawNumber(help_text="0.0-1.0")
    current_avg_margin_pct = RawNumber()
    current_exceptions_created = RawInteger()
    prev_total_quotes = RawInteger()
    prev_approval_rate = RawNumber(help_text="0.0-1.0")
    prev_avg_margin_pct = RawNumber()
    prev_exceptions_created = RawInteger()


class PricingExperimentSummaryRequestSerializer(serializers.Serializer):
    quotes = JsonArrayField(
        help_text="Tracked experiment quotes {variant, decision_status, gross_margin_pct}."
    )


class PricingExceptionAlertRequestSerializer(serializers.Serializer):
    open_exceptions = RawInteger()
    oldest_days = RawInteger()
    at_risk_count = RawInteger(help_text="Exceptions aged 14+ days; at most open_exceptions.")


class PricingScenarioRequestSerializer(serializers.Serializer):
    delivery_type = RawDeliveryType(help_text="Default task.")
    scenarios = JsonArrayField(
        help_text="1-100 scenario objects {model, estimated_input, estimated_output, complexity,"
        " segment} (or estimated_tokens instead of the pair); quote defaults apply."
    )


class PricingPolicyUpdateRequestSerializer(serializers.Serializer):
    complexity_markup = ComplexityMarkupField(help_text="Markup per complexity (> 0).")
    segment_adjustments = SegmentAdjustmentsField(help_text="Added to the complexity markup.")
    minimum_price = RawNumber(help_text="Price floor, 0-1,000,000.")
    margin_thresholds = MarginThresholdsField(help_text="Minimum margin % per delivery type.")
    margin_bands = MarginBandsField(help_text="Margin % from which a quote is strong / healthy.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you edited; a newer policy in force makes this a 409.",
    )


class PricingExceptionCreateRequestSerializer(serializers.Serializer):
    decision_id = serializers.CharField(max_length=40, help_text="An escalated decision of yours.")
    approver = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Default deal-desk."
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class PricingExceptionCloseRequestSerializer(serializers.Serializer):
    closed_by = serializers.CharField(required=False, allow_blank=True, max_length=100)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=1000)

"""Orchestrator API shapes: the status (every field of the reference, plus
`pricing_guardrail_check`), the recommendation request and answer, and `/system`."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import Agent
from j1msky.api.fields import Cost, Figure
from orchestrator.rules import AlertLevel, AnomalySeverity, AnomalyType
from pricing.api.serializers.responses import (
    PricingAlertSerializer,
    PricingDecisionPacketSerializer,
    PricingExceptionAgingSerializer,
    PricingGuardrailSerializer,
    PricingQuoteSerializer,
    PricingWeekChangesSerializer,
    PricingWeeklyMetricsSerializer,
)
from pricing.engine import COMPLEXITIES, MAX_TOKENS

LEVELS = [str(level) for level in AlertLevel]

# --- status ---------------------------------------------------------------------------------------


class TopModelSerializer(serializers.Serializer):
    model = serializers.CharField()
    calls = serializers.IntegerField()
    tokens = serializers.IntegerField(help_text="Input + output tokens.")
    avg_tokens_per_call = Figure()
    estimated_spend = Cost()


class UsageSummarySerializer(serializers.Serializer):
    top_models = TopModelSerializer(many=True, help_text="Today's top 5 models by calls.")
    total_calls = serializers.IntegerField(help_text="Every call of today's budget day.")


class OperationalFlagsSerializer(serializers.Serializer):
    budget_alert_level = serializers.ChoiceField(choices=LEVELS)
    max_provider_utilization_pct = Figure()
    hot_providers = serializers.ListField(child=serializers.CharField())
    requires_ops_attention = serializers.BooleanField()
    recommended_action = serializers.CharField()


class ModelMixSerializer(serializers.Serializer):
    strategy = serializers.ChoiceField(choices=["balanced", "cost-optimized"])
    primary = serializers.ListField(child=serializers.CharField())
    secondary = serializers.ListField(child=serializers.CharField())
    restricted = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()


class OrchestratorPricingPolicySerializer(serializers.Serializer):
    min_markup = Figure()
    target_markup = Figure()
    max_markup = Figure()
    complexity_markup = serializers.DictField(child=Figure())
    minimum_price = Figure()


class PortfolioPreviewSerializer(serializers.Serializer):
    delivery_type = serializers.CharField()
    scenario_count = serializers.IntegerField()
    compliant_count = serializers.IntegerField()
    compliance_ratio = Figure()
    needs_escalation = serializers.BooleanField()
    requires_executive_review = serializers.BooleanField()
    average_margin_pct = Figure()


class WeeklyComparisonPreviewSerializer(serializers.Serializer):
    week_over_week_changes = PricingWeekChangesSerializer()
    significant_shifts = serializers.ListField(child=serializers.CharField())
    requires_review = serializers.BooleanField()


@extend_schema_field(OpenApiTypes.NUMBER)
class AnomalyValueField(serializers.Field):
    """Calls (an integer) or average tokens per call (2 dp)."""

    def to_representation(self, value):
        return value if isinstance(value, int) else Decimal(value).quantize(Decimal("0.01"))


class AnomalySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[str(t) for t in AnomalyType])
    model = serializers.CharField()
    value = AnomalyValueField()
    threshold = serializers.IntegerField()
    message = serializers.CharField()


class UsageAnomaliesSerializer(serializers.Serializer):
    has_anomalies = serializers.BooleanField()
    anomalies = AnomalySerializer(many=True)
    count = serializers.IntegerField()
    severity = serializers.ChoiceField(choices=[str(s) for s in AnomalySeverity])


class MonthlyForecastSerializer(serializers.Serializer):
    projected_spend = Cost(help_text="Month to date + 7-day average daily spend × days left.")
    budget_ceiling = Cost(help_text="Daily budget × days in the month.")
    delta_to_budget = Cost(help_text="budget_ceiling − projected_spend (negative when over).")


class ProviderUsageSerializer(serializers.Serializer):
    current = serializers.IntegerField(help_text="Calls in the current UTC clock hour.")
    hourly = serializers.IntegerField(help_text="The provider's hourly limit.")
    remaining = serializers.IntegerField()
    utilization_pct = Figure()


class OrchestratorStatusSerializer(serializers.Serializer):
    timestamp = serializers.CharField(help_text="ISO 8601 in J1MSKY_TIMEZONE, with its offset.")
    models_active = serializers.IntegerField(
        help_text="Enabled model aliases whose provider's circuit is not open."
    )
    usage_summary = UsageSummarySerializer()
    recent_usage = serializers.IntegerField(help_text="Provider calls in the last hour.")
    daily_budget = Cost()
    today_spend = Cost(help_text="Settled spend today.")
    budget_remaining = Cost(help_text="max(daily_budget − today_spend − reserved, 0)")
    budget_utilization_pct = Figure(help_text="(today_spend + reserved) / daily_budget × 100")
    budget_alert_level = serializers.ChoiceField(choices=LEVELS)
    operational_flags = OperationalFlagsSerializer()
    model_mix_recommendation = ModelMixSerializer()
    pricing_policy = OrchestratorPricingPolicySerializer()
    example_task_quote = PricingQuoteSerializer()
    pricing_guardrail_check = PricingGuardrailSerializer(
        help_text="The example task quote's margin guardrail (delivery type task)."
    )
    quote_decision_preview = PricingDecisionPacketSerializer()
    quote_portfolio_preview = PortfolioPreviewSerializer()
    portfolio_alert_preview = PricingAlertSerializer()
    weekly_metrics_preview = PricingWeeklyMetricsSerializer()
    weekly_comparison_preview = WeeklyComparisonPreviewSerializer()
    exception_aging_preview = PricingExceptionAgingSerializer()
    exception_alert_preview = PricingAlertSerializer()
    usage_anomalies = UsageAnomaliesSerializer()
    monthly_forecast = MonthlyForecastSerializer()
    provider_usage = serializers.DictField(child=ProviderUsageSerializer())


# --- recommend-model ------------------------------------------------------------------------------


class RecommendModelSerializer(serializers.Serializer):
    task_type = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text="architecture, strategy, complex_reasoning, implementation, documentation, "
        "coding, fast_coding, api_integration, specialized_coding, ui_design, "
        "business_analysis; anything else prefers sonnet.",
    )
    complexity = serializers.ChoiceField(choices=list(COMPLEXITIES), required=False)
    priority = serializers.ChoiceField(choices=Agent.Priority.choices, required=False)
    estimated_tokens = serializers.IntegerField(
        min_value=0, max_value=MAX_TOKENS, default=1000, help_text="Priced at the blended rate."
    )


class RecommendationSerializer(serializers.Serializer):
    recommended_model = serializers.CharField()
    budget_available = serializers.BooleanField(
        help_text="Whether the recommended model's estimate fits today's budget."
    )
    daily_budget = Cost()
    today_spend = Cost()
    budget_remaining = Cost()
    reason = serializers.CharField(help_text="Why this model: the step of the walk that chose it.")


# --- system ---------------------------------------------------------------------------------------


class SystemSerializer(serializers.Serializer):
    cpu_temp = serializers.FloatField(
        allow_null=True, help_text="°C, 1 dp; null where the host has no sensor."
    )
    load_average = serializers.FloatField(help_text="1-minute load average.")
    memory_usage = serializers.FloatField(help_text="% of memory in use.")
    uptime = serializers.CharField(help_text='Host uptime, e.g. "24h 15m".')
    disk_free = serializers.CharField(help_text='Free space on the data directory, e.g. "45G".')
    active_agents = serializers.IntegerField(help_text="Agents waiting to run or running.")

"""Response bodies of the pricing API, in the reference's key order."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from pricing import engine
from pricing.api.serializers.fields import Cost, Num
from pricing.models import Decision, PricingException, PricingPolicy, Quote


class PricingSuccess(serializers.Serializer):
    # Always true: a response body never carries it, so the field's default renders it.
    success = serializers.BooleanField(default=True)


class PricingQuoteSerializer(serializers.Serializer):
    model = serializers.CharField()
    complexity = serializers.CharField()
    segment = serializers.CharField()
    estimated_tokens = serializers.IntegerField(required=False, help_text="Single-count form only.")
    estimated_input_tokens = serializers.IntegerField(required=False)
    estimated_output_tokens = serializers.IntegerField(required=False)
    internal_cost = Cost()
    base_markup = Num()
    segment_adjustment = Num()
    final_markup = Num()
    recommended_price = Num()
    gross_margin_pct = Num()
    margin_band = serializers.ChoiceField(choices=["strong", "healthy", "at_risk"])


class PricingGuardrailSerializer(serializers.Serializer):
    delivery_type = serializers.CharField()
    minimum_margin_pct = Num()
    actual_margin_pct = Num()
    is_compliant = serializers.BooleanField()
    action = serializers.ChoiceField(choices=["approve_quote", "escalate_deal_desk"])


class PricingQuoteResultSerializer(serializers.Serializer):
    quote = PricingQuoteSerializer()
    guardrail_check = PricingGuardrailSerializer()


class PricingQuoteRecordSerializer(PricingQuoteResultSerializer):
    quote_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    decision_id = serializers.CharField(allow_null=True)

    class Meta:
        fields = ["quote_id", "created_at", "decision_id", "quote", "guardrail_check"]

    def get_fields(self):
        fields = super().get_fields()
        return {name: fields[name] for name in self.Meta.fields}

    def to_representation(self, instance: Any) -> dict:
        if isinstance(instance, Quote):
            decision = getattr(instance, "decision", None)
            instance = {
                "quote_id": instance.quote_id,
                "created_at": instance.created_at,
                "decision_id": decision.decision_id if decision else None,
                "quote": instance.to_engine().as_dict(),
                "guardrail_check": instance.guardrail().as_dict(),
            }
        return super().to_representation(instance)


class PricingQuoteResponseSerializer(PricingSuccess, PricingQuoteRecordSerializer):
    class Meta:
        fields = ["success", *PricingQuoteRecordSerializer.Meta.fields]


class PricingDecisionPacketSerializer(serializers.Serializer):
    decision_status = serializers.ChoiceField(choices=list(engine.DECISION_STATUSES))
    approver = serializers.CharField()
    delivery_type = serializers.CharField()
    next_step = serializers.ChoiceField(choices=["send_quote", "route_to_deal_desk"])
    generated_at = serializers.CharField(help_text="ISO 8601, UTC")


class PricingDecisionRecordSerializer(serializers.Serializer):
    decision_id = serializers.CharField()
    quote_id = serializers.CharField()
    exception_id = serializers.CharField(allow_null=True)
    decision = PricingDecisionPacketSerializer()
    quote = PricingQuoteSerializer()
    guardrail_check = PricingGuardrailSerializer()

    def to_representation(self, instance: Any) -> dict:
        if isinstance(instance, Decision):
            exception = getattr(instance, "exception", None)
            instance = {
                "decision_id": instance.decision_id,
                "quote_id": instance.quote.quote_id,
                "exception_id": exception.exception_id if exception else None,
                "decision": instance.packet(),
                "quote": instance.quote.to_engine().as_dict(),
                "guardrail_check": instance.quote.guardrail().as_dict(),
            }
        return super().to_representation(instance)


class PricingDecisionResponseSerializer(PricingSuccess, PricingDecisionRecordSerializer):
    pass


class PricingBatchInputSerializer(serializers.Serializer):
    model = serializers.CharField()
    complexity = serializers.CharField()
    estimated_input = serializers.IntegerField()
    estimated_output = serializers.IntegerField()
    delivery_type = serializers.CharField()


class PricingBatchComparisonSerializer(serializers.Serializer):
    best_value_segment = serializers.CharField()
    best_value_price = Num()
    highest_margin_segment = serializers.CharField()
    highest_margin_pct = Num()


class PricingBatchQuotesResponseSerializer(PricingSuccess):
    input_params = PricingBatchInputSerializer()
    quotes_by_segment = serializers.DictField(child=PricingQuoteResultSerializer())
    comparison = PricingBatchComparisonSerializer()


class PricingPortfolioSummarySerializer(serializers.Serializer):
    scenario_count = serializers.IntegerField()
    compliant_count = serializers.IntegerField()
    compliance_ratio = Num()
    requires_executive_review = serializers.BooleanField()
    average_margin_pct = Num()


class PricingAlertSerializer(serializers.Serializer):
    level = serializers.CharField()
    summary = serializers.CharField()
    recommended_action = serializers.CharField()


class PricingPortfolioAlertResponseSerializer(PricingSuccess):
    portfolio_summary = PricingPortfolioSummarySerializer()
    portfolio_alert = PricingAlertSerializer()


class PricingScenarioResponseSerializer(PricingSuccess):
    evaluation_id = serializers.CharField()
    delivery_type = serializers.CharField()
    scenario_count = serializers.IntegerField()
    compliant_count = serializers.IntegerField()
    compliance_ratio = Num()
    needs_escalation = serializers.BooleanField()
    requires_executive_review = serializers.BooleanField()
    average_margin_pct = Num()
    results = PricingQuoteResultSerializer(many=True)


class PricingWeeklyMetricsSerializer(serializers.Serializer):
    total_quotes = serializers.IntegerField()
    approved_count = serializers.IntegerField()
    escalated_count = serializers.IntegerField()
    approval_rate = Num()
    avg_margin_pct = Num()
    exceptions_created = serializers.IntegerField()
    exceptions_closed = serializers.IntegerField()


class PricingWeeklyMetricsResponseSerializer(PricingSuccess):
    weekly_metrics = PricingWeeklyMetricsSerializer()


class PricingWeekChangesSerializer(serializers.Serializer):
    total_quotes_change = Num(allow_null=True, help_text="%; null when last week was 0 (new).")
    approval_rate_change = Num(allow_null=True)
    avg_margin_change = Num(allow_null=True)
    exceptions_created_change = Num(allow_null=True)


class PricingWeeklyComparisonResponseSerializer(PricingSuccess):
    week_over_week_changes = PricingWeekChangesSerializer()
    significant_shifts = serializers.ListField(child=serializers.CharField())
    requires_review = serializers.BooleanField()


class PricingVariantSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    approval_rate = Num()
    avg_margin_pct = Num()


class PricingExperimentSummaryResponseSerializer(PricingSuccess):
    status = serializers.CharField(help_text="complete | in_progress")
    control = PricingVariantSerializer()
    test = PricingVariantSerializer()
    recommendation = serializers.ChoiceField(choices=["roll_out", "discard", "inconclusive"])
    min_sample_met = serializers.BooleanField(help_text="Each variant has at least 50 quotes.")


class PricingExceptionAgingSerializer(serializers.Serializer):
    open_exceptions = serializers.IntegerField()
    oldest_days = serializers.IntegerField()
    at_risk_count = serializers.IntegerField()
    requires_exec_followup = serializers.BooleanField()
    risk_level = serializers.CharField()
    next_action = serializers.CharField()


class PricingExceptionAlertResponseSerializer(PricingSuccess):
    exception_aging = PricingExceptionAgingSerializer()
    exception_alert = PricingAlertSerializer()


class PricingPolicyTablesSerializer(serializers.Serializer):
    complexity_markup = serializers.DictField(child=Num())
    segment_adjustments = serializers.DictField(child=Num())
    minimum_price = Num()
    margin_thresholds = serializers.DictField(child=Num())


class PricingStatusResponseSerializer(PricingSuccess):
    pricing_policy = PricingPolicyTablesSerializer()
    example_quotes = serializers.DictField(child=PricingQuoteSerializer())
    guardrail_check = PricingGuardrailSerializer()


class PricingModelCostSerializer(serializers.Serializer):
    cost = Cost()
    calls = serializers.IntegerField()
    avg_per_call = Cost()


class PricingHealthSummarySerializer(serializers.Serializer):
    status = serializers.CharField(help_text="healthy | warning | critical")
    daily_cost = Cost()
    daily_budget = Num()
    budget_utilization_pct = Num()
    tasks_completed = serializers.IntegerField()
    avg_cost_per_task = Cost()
    issues = serializers.ListField(child=serializers.CharField())


class PricingHealthDetailSerializer(PricingHealthSummarySerializer):
    by_model = serializers.DictField(child=PricingModelCostSerializer())


class PricingHealthResponseSerializer(PricingSuccess):
    health = PricingHealthDetailSerializer()


class PricingReportSerializer(serializers.Serializer):
    generated_at = serializers.CharField()
    period = serializers.CharField()
    health = PricingHealthSummarySerializer()
    by_model = serializers.DictField(child=PricingModelCostSerializer())
    sample_quotes_by_segment = serializers.DictField(child=PricingQuoteSerializer())
    pricing_policy = PricingPolicyTablesSerializer()


class PricingReportResponseSerializer(PricingSuccess):
    report = PricingReportSerializer()


class PricingStoredReportSerializer(serializers.Serializer):
    """One stored daily report in `GET /pricing/reports`."""

    date = serializers.DateField(source="day")
    generated_at = serializers.DateTimeField()
    status = serializers.CharField()
    daily_cost = Cost()
    daily_budget = Num(source="data.health.daily_budget")
    budget_utilization_pct = Num(source="data.health.budget_utilization_pct")
    tasks_completed = serializers.IntegerField(source="data.health.tasks_completed")


class PricingStoredReportResponseSerializer(PricingSuccess):
    date = serializers.DateField(source="day")
    report = PricingReportSerializer(source="data")


class PricingPolicySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    complexity_markup = serializers.DictField(child=Num())
    segment_adjustments = serializers.DictField(child=Num())
    minimum_price = Num()
    margin_thresholds = serializers.DictField(child=Num())
    margin_bands = serializers.DictField(child=Num())
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(allow_null=True)

    def to_representation(self, instance: PricingPolicy) -> dict:
        values = instance.values()
        return super().to_representation(
            {
                "version": instance.version,
                **{table: values[table] for table in PricingPolicy.TABLES},
                "minimum_price": values["minimum_price"],
                "note": instance.note,
                "created_at": instance.created_at,
                "created_by": instance.created_by.get_username() if instance.created_by else None,
            }
        )


class PricingPolicyResponseSerializer(PricingSuccess):
    policy = PricingPolicySerializer()


class PricingPolicyUpdateResponseSerializer(PricingPolicyResponseSerializer):
    changed = serializers.BooleanField(help_text="False when the body changed nothing.")


class PricingExceptionSerializer(serializers.ModelSerializer):
    decision_id = serializers.CharField(source="decision.decision_id")
    quote_id = serializers.CharField(source="decision.quote.quote_id")
    opened_at = serializers.DateTimeField(source="created_at")
    status = serializers.CharField(help_text="open | closed")
    age_days = serializers.SerializerMethodField()
    model = serializers.CharField(source="decision.quote.model")
    segment = serializers.CharField(source="decision.quote.segment")
    delivery_type = serializers.CharField(source="decision.delivery_type")
    recommended_price = Num(source="decision.quote.recommended_price")
    gross_margin_pct = Num(source="decision.quote.gross_margin_pct")
    minimum_margin_pct = Num(source="decision.quote.minimum_margin_pct")

    class Meta:
        model = PricingException
        fields = [
            "exception_id",
            "decision_id",
            "quote_id",
            "status",
            "approver",
            "reason",
            "opened_at",
            "age_days",
            "closed_at",
            "closed_by",
            "resolution",
            "model",
            "segment",
            "delivery_type",
            "recommended_price",
            "gross_margin_pct",
            "minimum_margin_pct",
        ]
        read_only_fields = fields

    def get_age_days(self, obj: PricingException) -> int:
        """Whole days open (until closing, for a closed exception)."""
        return obj.age_days(self.context["now"])


class PricingExceptionResponseSerializer(PricingSuccess):
    exception = PricingExceptionSerializer()

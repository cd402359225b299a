"""The pricing calculators and snapshots: status, health, report, quote, batch quotes, scenario
and the rollups (semantics §10). `quote` and `scenario` also store what they computed."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from j1msky.api.views import ApiView
from pricing import engine
from pricing.api.serializers import requests as rq
from pricing.api.serializers import responses as s
from pricing.api.views.common import (
    QUOTE_FIELDS,
    READ,
    TAGS,
    given_fields,
    policy_in_force,
    request_body,
    required_model,
)
from pricing.errors import engine_errors
from pricing.selectors import (
    decision_week_comparison,
    decision_week_metrics,
    exception_open_counts,
    pricing_health,
    pricing_report,
    rate_card_current,
    rate_card_examples,
    scenario_evaluation_latest,
)
from pricing.services import quote_create, scenario_evaluate

# --- status, health, report -------------------------------------------------------------------


class PricingStatusView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Pricing policy, example quotes and guardrail",
        responses=s.PricingStatusResponseSerializer,
    )
    def get(self, request):
        with engine_errors():
            result = engine.pricing_status(rate_card_examples(), policy_in_force())
        return Response(s.PricingStatusResponseSerializer({"success": True, **result}).data)


class PricingHealthView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Pricing health from today's ledger",
        responses=s.PricingHealthResponseSerializer,
    )
    def get(self, request):
        return Response(
            s.PricingHealthResponseSerializer({"success": True, "health": pricing_health()}).data
        )


class PricingReportView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Today's pricing report (so far)",
        description="`generated_at` is local time in J1MSKY_TIMEZONE, with its offset.",
        responses=s.PricingReportResponseSerializer,
    )
    def get(self, request):
        report = pricing_report()
        return Response(s.PricingReportResponseSerializer({"success": True, "report": report}).data)


# --- quotes -----------------------------------------------------------------------------------


class QuoteView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Generate a pricing quote (stored)",
        description="A calculator: the quote is also stored for the key's owner (`quote_id`) and "
        "emits `pricing.quote_generated`.",
        request=rq.PricingQuoteRequestSerializer,
        responses=s.PricingQuoteResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingQuoteRequestSerializer, request)
        fields = {**given_fields(data, QUOTE_FIELDS), "model": required_model(data)}
        quote = quote_create(owner=request.user, **fields)
        return Response(s.PricingQuoteResponseSerializer(quote).data)


class BatchQuotesView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Quote every customer segment",
        request=rq.PricingBatchQuotesRequestSerializer,
        responses=s.PricingBatchQuotesResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingBatchQuotesRequestSerializer, request)
        given = given_fields(
            data, ("estimated_input", "estimated_output", "complexity", "delivery_type")
        )
        with engine_errors():
            result = engine.batch_quotes(
                required_model(data),
                rate_card=rate_card_current(),
                policy=policy_in_force(),
                **given,
            )
        return Response(s.PricingBatchQuotesResponseSerializer({"success": True, **result}).data)


# --- rollups ----------------------------------------------------------------------------------


def counts_or_zero(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: 0 if data.get(name) is None else data[name] for name in names}


class PortfolioAlertView(ApiView):
    required_scope = READ
    FIELDS = ("scenario_count", "compliant_count", "average_margin_pct")

    @extend_schema(
        tags=TAGS,
        summary="Portfolio compliance rollup and alert",
        description="With every field omitted, the latest stored scenario evaluation is used; "
        "otherwise an omitted field is 0.",
        request=rq.PricingPortfolioAlertRequestSerializer,
        responses=s.PricingPortfolioAlertResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingPortfolioAlertRequestSerializer, request)
        if not given_fields(data, self.FIELDS):
            latest = scenario_evaluation_latest(owner=request.user)
            data = latest.summary() if latest is not None else {}
        values = counts_or_zero(data, self.FIELDS)
        with engine_errors():
            result = {
                "success": True,
                "portfolio_summary": engine.portfolio_summary(**values),
                "portfolio_alert": engine.portfolio_alert(**values),
            }
        return Response(s.PricingPortfolioAlertResponseSerializer(result).data)


class WeeklyMetricsView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Aggregate weekly pricing metrics",
        description="With `quotes` omitted: this ISO week's stored decisions (J1MSKY_TIMEZONE).",
        request=rq.PricingWeeklyMetricsRequestSerializer,
        responses=s.PricingWeeklyMetricsResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingWeeklyMetricsRequestSerializer, request)
        with engine_errors():
            if "quotes" in data:
                metrics = engine.weekly_metrics(data["quotes"])
            else:
                metrics = decision_week_metrics(owner=request.user)
        return Response(
            s.PricingWeeklyMetricsResponseSerializer(
                {"success": True, "weekly_metrics": metrics}
            ).data
        )


class WeeklyComparisonView(ApiView):
    required_scope = READ
    KEYS = ("total_quotes", "approval_rate", "avg_margin_pct", "exceptions_created")

    @extend_schema(
        tags=TAGS,
        summary="Compare two weeks of pricing metrics",
        description="With every field omitted: this ISO week's stored decisions against last "
        "week's; otherwise an omitted field is 0. A change from 0 is `null` (`new`).",
        request=rq.PricingWeeklyComparisonRequestSerializer,
        responses=s.PricingWeeklyComparisonResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingWeeklyComparisonRequestSerializer, request)
        names = tuple(f"{week}_{key}" for week in ("current", "prev") for key in self.KEYS)
        with engine_errors():
            if not given_fields(data, names):
                result = decision_week_comparison(owner=request.user)
            else:
                values = counts_or_zero(data, names)
                result = engine.weekly_comparison(
                    {key: values[f"current_{key}"] for key in self.KEYS},
                    {key: values[f"prev_{key}"] for key in self.KEYS},
                )
        return Response(
            s.PricingWeeklyComparisonResponseSerializer({"success": True, **result}).data
        )


class ExperimentSummaryView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Summarize a pricing experiment",
        request=rq.PricingExperimentSummaryRequestSerializer,
        responses=s.PricingExperimentSummaryResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingExperimentSummaryRequestSerializer, request)
        with engine_errors():
            result = engine.experiment_summary(data["quotes"])
        return Response(
            s.PricingExperimentSummaryResponseSerializer({"success": True, **result}).data
        )


class ExceptionAlertView(ApiView):
    required_scope = READ
    FIELDS = ("open_exceptions", "oldest_days", "at_risk_count")

    @extend_schema(
        tags=TAGS,
        summary="Exception-aging risk and alert",
        description="With every field omitted: your stored open exceptions; otherwise an omitted "
        "field is 0.",
        request=rq.PricingExceptionAlertRequestSerializer,
        responses=s.PricingExceptionAlertResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingExceptionAlertRequestSerializer, request)
        if given_fields(data, self.FIELDS):
            values = counts_or_zero(data, self.FIELDS)
        else:
            values = dict(zip(self.FIELDS, exception_open_counts(owner=request.user), strict=True))
        with engine_errors():
            result = {
                "success": True,
                "exception_aging": engine.exception_aging(**values),
                "exception_alert": engine.exception_alert(**values),
            }
        return Response(s.PricingExceptionAlertResponseSerializer(result).data)


class ScenarioView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Evaluate pricing scenarios (stored)",
        description="A calculator; the evaluation is also stored for the key's owner (the latest "
        "feeds the portfolio previews).",
        request=rq.PricingScenarioRequestSerializer,
        responses=s.PricingScenarioResponseSerializer,
    )
    def post(self, request):
        data = request_body(rq.PricingScenarioRequestSerializer, request)
        evaluation = scenario_evaluate(
            owner=request.user,
            scenarios=data["scenarios"],
            delivery_type=data.get("delivery_type"),
        )
        result = {
            "success": True,
            "evaluation_id": evaluation.evaluation_id,
            **evaluation.summary(),
            "results": evaluation.results,
        }
        return Response(s.PricingScenarioResponseSerializer(result).data)

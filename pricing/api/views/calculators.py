"""The pricing calculators and snapshots: status, health, report, quote, batch quotes, scenario
and the rollups (semantics §10). `quote` and `scenario` also store what they computed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from j1msky.api.views import ApiView
from pricing import engine, selectors
from pricing.api.serializers import requests as rq
from pricing.api.serializers import responses as s
from pricing.api.views.common import READ, TAGS, request_input
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
        result = selectors.pricing_status()
        return Response(s.PricingStatusResponseSerializer(result).data)


class PricingHealthView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Pricing health from today's ledger",
        responses=s.PricingHealthResponseSerializer,
    )
    def get(self, request):
        health = selectors.pricing_health()
        return Response(s.PricingHealthResponseSerializer({"health": health}).data)


class PricingReportView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Today's pricing report (so far)",
        description="`generated_at` is local time in J1MSKY_TIMEZONE, with its offset.",
        responses=s.PricingReportResponseSerializer,
    )
    def get(self, request):
        report = selectors.pricing_report()
        return Response(s.PricingReportResponseSerializer({"report": report}).data)


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
        quote_request = request_input(rq.PricingQuoteRequestSerializer, request)
        quote = quote_create(owner=request.user, request=quote_request)
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
        quote_request = request_input(rq.PricingBatchQuotesRequestSerializer, request)
        result = selectors.batch_quotes(quote_request)
        return Response(s.PricingBatchQuotesResponseSerializer(result).data)


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
        scenario_request = request_input(rq.PricingScenarioRequestSerializer, request)
        evaluation = scenario_evaluate(owner=request.user, request=scenario_request)
        return Response(s.PricingScenarioResponseSerializer(evaluation).data)


# --- rollups ----------------------------------------------------------------------------------


class PortfolioAlertView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Portfolio compliance rollup and alert",
        description="With every field omitted, the latest stored scenario evaluation is used; "
        "otherwise an omitted field is 0.",
        request=rq.PricingPortfolioAlertRequestSerializer,
        responses=s.PricingPortfolioAlertResponseSerializer,
    )
    def post(self, request):
        counts = request_input(rq.PricingPortfolioAlertRequestSerializer, request)
        result = selectors.portfolio_rollup(owner=request.user, counts=counts)
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
        outcomes = request_input(rq.PricingWeeklyMetricsRequestSerializer, request)
        metrics = selectors.weekly_metrics_rollup(owner=request.user, outcomes=outcomes)
        body = {"weekly_metrics": metrics}
        return Response(s.PricingWeeklyMetricsResponseSerializer(body).data)


class WeeklyComparisonView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Compare two weeks of pricing metrics",
        description="With every field omitted: this ISO week's stored decisions against last "
        "week's; otherwise an omitted field is 0. A change from 0 is `null` (`new`).",
        request=rq.PricingWeeklyComparisonRequestSerializer,
        responses=s.PricingWeeklyComparisonResponseSerializer,
    )
    def post(self, request):
        weeks = request_input(rq.PricingWeeklyComparisonRequestSerializer, request)
        result = selectors.weekly_comparison_rollup(owner=request.user, weeks=weeks)
        body = result
        return Response(s.PricingWeeklyComparisonResponseSerializer(body).data)


class ExperimentSummaryView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Summarize a pricing experiment",
        request=rq.PricingExperimentSummaryRequestSerializer,
        responses=s.PricingExperimentSummaryResponseSerializer,
    )
    def post(self, request):
        outcomes = request_input(rq.PricingExperimentSummaryRequestSerializer, request)
        result = engine.experiment_summary(outcomes)
        return Response(s.PricingExperimentSummaryResponseSerializer(result).data)


class ExceptionAlertView(ApiView):
    required_scope = READ

    @extend_schema(
        tags=TAGS,
        summary="Exception-aging risk and alert",
        description="With every field omitted: your stored open exceptions; otherwise an omitted "
        "field is 0.",
        request=rq.PricingExceptionAlertRequestSerializer,
        responses=s.PricingExceptionAlertResponseSerializer,
    )
    def post(self, request):
        counts = request_input(rq.PricingExceptionAlertRequestSerializer, request)
        result = selectors.exception_rollup(owner=request.user, counts=counts)
        return Response(s.PricingExceptionAlertResponseSerializer(result).data)

"""The pricing calculators and snapshots: status, health, report, quote, batch quotes, scenario
and the rollups (semantics §10). `quote` and `scenario` also store what they computed.

Each is declared, not coded: its request and response serializers and the one service or
selector it calls (`calculate`); `CalculatorView` does the rest and documents both shapes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from j1msky.api.openapi import AutoSchema
from j1msky.api.views import ApiView
from pricing import engine, selectors
from pricing.api.serializers import requests as rq
from pricing.api.serializers import responses as s
from pricing.api.views.common import READ, TAGS, request_input
from pricing.services import quote_create, scenario_evaluate


class CalculatorSchema(AutoSchema):
    """The request and response the view declares, under the pricing tag."""

    def get_request_serializer(self):
        return self.view.request_serializer

    def get_response_serializers(self):
        return self.view.response_serializer

    def get_tags(self):
        return TAGS


class CalculatorView(ApiView):
    """GET (a snapshot, no `request_serializer`) or POST (a calculation on the body):
    `calculate(owner, input)` → `response_serializer`."""

    required_scope = READ
    request_serializer: ClassVar[type[serializers.Serializer] | None] = None
    response_serializer: ClassVar[type[serializers.Serializer]]
    schema = CalculatorSchema()

    def calculate(self, owner, data: Any) -> Any:
        raise NotImplementedError

    def _answer(self, request, data: Any) -> Response:
        return Response(self.response_serializer(self.calculate(request.user, data)).data)


class SnapshotView(CalculatorView):
    def get(self, request):
        return self._answer(request, None)


class CalculationView(CalculatorView):
    def post(self, request):
        return self._answer(request, request_input(self.request_serializer, request))


# --- status, health, report -------------------------------------------------------------------


@extend_schema(summary="Pricing policy, example quotes and guardrail")
class PricingStatusView(SnapshotView):
    response_serializer = s.PricingStatusResponseSerializer

    def calculate(self, owner, data):
        return selectors.pricing_status()


@extend_schema(summary="Pricing health from today's ledger")
class PricingHealthView(SnapshotView):
    response_serializer = s.PricingHealthResponseSerializer

    def calculate(self, owner, data):
        return {"health": selectors.pricing_health()}


@extend_schema(
    summary="Today's pricing report (so far)",
    description="`generated_at` is local time in J1MSKY_TIMEZONE, with its offset.",
)
class PricingReportView(SnapshotView):
    response_serializer = s.PricingReportResponseSerializer

    def calculate(self, owner, data):
        return {"report": selectors.pricing_report()}


# --- quotes -----------------------------------------------------------------------------------


@extend_schema(
    summary="Generate a pricing quote (stored)",
    description="A calculator: the quote is also stored for the key's owner (`quote_id`) and "
    "emits `pricing.quote_generated`.",
)
class QuoteView(CalculationView):
    request_serializer = rq.PricingQuoteRequestSerializer
    response_serializer = s.PricingQuoteResponseSerializer

    def calculate(self, owner, quote_request):
        return quote_create(owner=owner, request=quote_request)


@extend_schema(summary="Quote every customer segment")
class BatchQuotesView(CalculationView):
    request_serializer = rq.PricingBatchQuotesRequestSerializer
    response_serializer = s.PricingBatchQuotesResponseSerializer

    def calculate(self, owner, quote_request):
        return selectors.batch_quotes(quote_request)


@extend_schema(
    summary="Evaluate pricing scenarios (stored)",
    description="A calculator; the evaluation is also stored for the key's owner (the latest "
    "feeds the portfolio previews).",
)
class ScenarioView(CalculationView):
    request_serializer = rq.PricingScenarioRequestSerializer
    response_serializer = s.PricingScenarioResponseSerializer

    def calculate(self, owner, scenario_request):
        return scenario_evaluate(owner=owner, request=scenario_request)


# --- rollups ----------------------------------------------------------------------------------


@extend_schema(
    summary="Portfolio compliance rollup and alert",
    description="With every field omitted, the latest stored scenario evaluation is used; "
    "otherwise an omitted field is 0.",
)
class PortfolioAlertView(CalculationView):
    request_serializer = rq.PricingPortfolioAlertRequestSerializer
    response_serializer = s.PricingPortfolioAlertResponseSerializer

    def calculate(self, owner, counts):
        return selectors.portfolio_rollup(owner=owner, counts=counts)


@extend_schema(
    summary="Aggregate weekly pricing metrics",
    description="With `quotes` omitted: this ISO week's stored decisions (J1MSKY_TIMEZONE).",
)
class WeeklyMetricsView(CalculationView):
    request_serializer = rq.PricingWeeklyMetricsRequestSerializer
    response_serializer = s.PricingWeeklyMetricsResponseSerializer

    def calculate(self, owner, outcomes):
        return {"weekly_metrics": selectors.weekly_metrics_rollup(owner=owner, outcomes=outcomes)}


@extend_schema(
    summary="Compare two weeks of pricing metrics",
    description="With every field omitted: this ISO week's stored decisions against last "
    "week's; otherwise an omitted field is 0. A change from 0 is `null` (`new`).",
)
class WeeklyComparisonView(CalculationView):
    request_serializer = rq.PricingWeeklyComparisonRequestSerializer
    response_serializer = s.PricingWeeklyComparisonResponseSerializer

    def calculate(self, owner, weeks):
        return selectors.weekly_comparison_rollup(owner=owner, weeks=weeks)


@extend_schema(summary="Summarize a pricing experiment")
class ExperimentSummaryView(CalculationView):
    request_serializer = rq.PricingExperimentSummaryRequestSerializer
    response_serializer = s.PricingExperimentSummaryResponseSerializer

    def calculate(self, owner, outcomes):
        return engine.experiment_summary(outcomes)


@extend_schema(
    summary="Exception-aging risk and alert",
    description="With every field omitted: your stored open exceptions; otherwise an omitted "
    "field is 0.",
)
class ExceptionAlertView(CalculationView):
    request_serializer = rq.PricingExceptionAlertRequestSerializer
    response_serializer = s.PricingExceptionAlertResponseSerializer

    def calculate(self, owner, counts):
        return selectors.exception_rollup(owner=owner, counts=counts)

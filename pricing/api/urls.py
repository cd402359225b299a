from django.urls import path

from j1msky.api.routers import Router
from pricing.api.views import calculators, records

router = Router()
router.register("pricing/quotes", records.QuoteViewSet, basename="pricing-quote")
router.register("pricing/decisions", records.DecisionViewSet, basename="pricing-decision")
router.register("pricing/exceptions", records.PricingExceptionViewSet, basename="pricing-exception")
router.register("pricing/reports", records.PricingReportViewSet, basename="pricing-report")

urlpatterns = [
    path("pricing/status", calculators.PricingStatusView.as_view(), name="pricing-status"),
    path("pricing/health", calculators.PricingHealthView.as_view(), name="pricing-health"),
    path("pricing/report", calculators.PricingReportView.as_view(), name="pricing-report-today"),
    path("pricing/policy", records.PolicyView.as_view(), name="pricing-policy"),
    path("pricing/quote", calculators.QuoteView.as_view(), name="pricing-quote-calculate"),
    path(
        "pricing/batch-quotes", calculators.BatchQuotesView.as_view(), name="pricing-batch-quotes"
    ),
    path("pricing/decision", records.DecisionView.as_view(), name="pricing-decision-create"),
    path("pricing/scenario", calculators.ScenarioView.as_view(), name="pricing-scenario"),
    path(
        "pricing/portfolio-alert",
        calculators.PortfolioAlertView.as_view(),
        name="pricing-portfolio-alert",
    ),
    path(
        "pricing/weekly-metrics",
        calculators.WeeklyMetricsView.as_view(),
        name="pricing-weekly-metrics",
    ),
    path(
        "pricing/weekly-comparison",
        calculators.WeeklyComparisonView.as_view(),
        name="pricing-weekly-comparison",
    ),
    path(
        "pricing/experiment-summary",
        calculators.ExperimentSummaryView.as_view(),
        name="pricing-experiment-summary",
    ),
    path(
        "pricing/exception-alert",
        calculators.ExceptionAlertView.as_view(),
        name="pricing-exception-alert",
    ),
    *router.urls,
]

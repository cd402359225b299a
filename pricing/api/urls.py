from django.urls import path

from pricing.api.views import calculators, records

urlpatterns = [
    path("pricing/status", calculators.PricingStatusView.as_view(), name="pricing-status"),
    path("pricing/health", calculators.PricingHealthView.as_view(), name="pricing-health"),
    path("pricing/report", calculators.PricingReportView.as_view(), name="pricing-report"),
    path("pricing/reports", records.ReportListView.as_view(), name="pricing-report-list"),
    path(
        "pricing/reports/<str:date>",
        records.ReportDetailView.as_view(),
        name="pricing-report-detail",
    ),
    path("pricing/policy", records.PolicyView.as_view(), name="pricing-policy"),
    path("pricing/quote", calculators.QuoteView.as_view(), name="pricing-quote"),
    path("pricing/quotes", records.QuoteListView.as_view(), name="pricing-quote-list"),
    path(
        "pricing/quotes/<str:quote_id>",
        records.QuoteDetailView.as_view(),
        name="pricing-quote-detail",
    ),
    path(
        "pricing/batch-quotes", calculators.BatchQuotesView.as_view(), name="pricing-batch-quotes"
    ),
    path("pricing/decision", records.DecisionView.as_view(), name="pricing-decision"),
    path("pricing/decisions", records.DecisionListView.as_view(), name="pricing-decision-list"),
    path(
        "pricing/decisions/<str:decision_id>",
        records.DecisionDetailView.as_view(),
        name="pricing-decision-detail",
    ),
    path(
        "pricing/exceptions",
        records.ExceptionListCreateView.as_view(),
        name="pricing-exception-list",
    ),
    path(
        "pricing/exceptions/<str:exception_id>/close",
        records.ExceptionCloseView.as_view(),
        name="pricing-exception-close",
    ),
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
]

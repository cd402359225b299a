"""List filters for stored pricing records (the shared list machinery, semantics §5)."""

from j1msky.api.filtering import ListFilterSet
from pricing.models import Decision, PricingException, PricingReport, Quote

CHOICE = ["eq", "ne", "in"]
RANGE = ["gt", "gte", "lt", "lte"]


class QuoteFilterSet(ListFilterSet):
    class Meta:
        model = Quote
        fields: list = []
        ops = {
            "model": CHOICE,
            "complexity": CHOICE,
            "segment": CHOICE,
            "delivery_type": CHOICE,
            "margin_band": CHOICE,
            "recommended_price": ["eq", *RANGE],
            "gross_margin_pct": ["eq", *RANGE],
            "created_at": RANGE,
        }
        sort_fields = {
            "created_at": "created_at",
            "recommended_price": "recommended_price",
            "gross_margin_pct": "gross_margin_pct",
        }


class DecisionFilterSet(ListFilterSet):
    class Meta:
        model = Decision
        fields: list = []
        ops = {
            "decision_status": CHOICE,
            "delivery_type": CHOICE,
            "approver": ["eq", "ne", "in", "contains", "starts_with"],
            "generated_at": RANGE,
        }
        field_map = {"generated_at": "created_at"}
        sort_fields = {"created_at": "created_at", "generated_at": "created_at"}


class PricingExceptionFilterSet(ListFilterSet):
    class Meta:
        model = PricingException
        fields: list = []
        ops = {
            "status": ["eq", "ne"],
            "approver": ["eq", "ne", "in", "contains", "starts_with"],
            "opened_at": RANGE,
            "closed_at": RANGE,
        }
        field_map = {"opened_at": "created_at"}
        sort_fields = {"created_at": "created_at", "opened_at": "created_at"}


class PricingReportFilterSet(ListFilterSet):
    default_sort = "-date"

    class Meta:
        model = PricingReport
        fields: list = []
        ops = {"date": ["eq", *RANGE], "status": ["eq", "ne", "in"]}
        field_map = {"date": "day"}
        sort_fields = {"date": "day", "generated_at": "generated_at"}

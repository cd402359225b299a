from django.apps import AppConfig

PRICING_EVENTS = (
    "pricing.quote_generated",
    "pricing.quote_approved",
    "pricing.quote_escalated",
    "pricing.exception_created",
    "pricing.margin_alert",
    "pricing.budget_warning",
    "pricing.budget_critical",
    "pricing.policy_changed",
)


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "Pricing"

    def ready(self) -> None:
        from j1msky.events import event_types_register

        event_types_register(*PRICING_EVENTS)

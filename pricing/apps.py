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
        from pricing.models import Decision, PricingException, Quote, ScenarioEvaluation
        from security.exports import export_rows, export_section_register

        event_types_register(*PRICING_EVENTS)
        for name, model in (
            ("pricing_quotes", Quote),
            ("pricing_decisions", Decision),
            ("pricing_exceptions", PricingException),
            ("pricing_scenarios", ScenarioEvaluation),
        ):
            export_section_register(
                name, lambda owner, model=model: export_rows(model.objects.filter(owner=owner))
            )

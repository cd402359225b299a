from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from billing.exports import ledger_export_list
        from security.exports import export_section_register

        export_section_register("usage", ledger_export_list)

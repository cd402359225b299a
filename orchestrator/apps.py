from django.apps import AppConfig


class OrchestratorConfig(AppConfig):
    name = "orchestrator"
    verbose_name = "Orchestrator"

    def ready(self) -> None:
        from j1msky.metrics import metric_families_register
        from orchestrator.metrics import orchestrator_metric_families

        metric_families_register("orchestrator", orchestrator_metric_families)

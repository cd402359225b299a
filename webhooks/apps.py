from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from j1msky.metrics import metric_families_register
        from j1msky.models import Event
        from security.services import audit_events_register
        from webhooks.conf import ssrf_policy
        from webhooks.metrics import webhook_metric_families
        from webhooks.signals import event_committed_wake

        ssrf_policy()  # a malformed J1MSKY_WEBHOOK_ALLOWED_NETWORKS stops every process at start
        post_save.connect(event_committed_wake, sender=Event, dispatch_uid="webhooks.wake")
        metric_families_register("webhooks", webhook_metric_families)
        audit_events_register(
            "webhook.created",
            "webhook.deleted",
            "webhook.paused",
            "webhook.resumed",
            "webhook.secret_rotated",
            "webhook.disabled",
            essential=True,  # configuration changes, kept at the `minimal` level
        )

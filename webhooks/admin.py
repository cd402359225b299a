"""Webhook endpoints and the delivery log in the Django admin.

Endpoints are registered through the API (the secret is shown once there) and change state
through actions: pause and resume need `change_webhookendpoint`, sending a test event
`webhooks.send_test_webhookendpoint`. The delivery log is read-only; replaying needs
`webhooks.replay_delivery`. Secrets are never shown. Every action is audited with the staff
user as the actor (pause and resume by their services, test events and replays here).
"""

from django.contrib import admin, messages

from j1msky.admin import ModelAdmin, ReadOnlyModelAdmin
from security.services import actor_of, audit_record
from webhooks.errors import WebhookDisabled, WebhookStateConflict
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.services import delivery_replay, webhook_pause, webhook_resume, webhook_test_send

SHOWN_FIELDS = [
    "webhook_id",
    "kind",
    "owner",
    "url",
    "events",
    "status",
    "status_reason",
    "status_changed_at",
    "previous_secret_expires_at",
    "events_after_id",
    "created_at",
    "created_by_key_id",
]


def _audited(request, delivery: Delivery, action: str) -> None:
    audit_record(
        event="admin.action",
        owner=delivery.endpoint.owner,
        actor=actor_of(user=request.user),
        resource_type="webhook_delivery",
        resource_id=delivery.delivery_id,
        details={"action": action, "webhook_id": delivery.endpoint.webhook_id},
    )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = ["webhook_id", "kind", "owner", "url", "status", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["webhook_id", "url", "owner__username"]
    fields = SHOWN_FIELDS
    readonly_fields = SHOWN_FIELDS
    actions = ["pause_endpoints", "resume_endpoints", "send_test_events"]

    def has_add_permission(self, request):
        return False  # registered through the API, where the secret is shown once

    def has_delete_permission(self, request, obj=None):
        return False  # deleted through the API, which audits it

    def has_send_test_permission(self, request):
        return request.user.has_perm("webhooks.send_test_webhookendpoint")

    @admin.action(description="Pause selected webhooks", permissions=["change"])
    def pause_endpoints(self, request, queryset):
        paused = 0
        for endpoint in queryset.filter(status=WebhookEndpoint.Status.ACTIVE):
            webhook_pause(endpoint=endpoint, actor=actor_of(user=request.user))
            paused += 1
        self.message_user(request, f"Paused {paused} webhook(s).")

    @admin.action(description="Resume selected webhooks", permissions=["change"])
    def resume_endpoints(self, request, queryset):
        resumed = 0
        for endpoint in queryset.exclude(status=WebhookEndpoint.Status.ACTIVE):
            webhook_resume(endpoint=endpoint, actor=actor_of(user=request.user))
            resumed += 1
        self.message_user(request, f"Resumed {resumed} webhook(s).")

    @admin.action(description="Send a test event to selected webhooks", permissions=["send_test"])
    def send_test_events(self, request, queryset):
        ids = []
        for endpoint in queryset:
            delivery = webhook_test_send(endpoint=endpoint)
            _audited(request, delivery, "send_test")
            ids.append(delivery.delivery_id)
        self.message_user(request, f"Test event queued: {', '.join(ids) or 'none'}.")


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = [
        "number",
        "started_at",
        "status_code",
        "duration_ms",
        "error",
        "response_excerpt",
        "next_retry_at",
        "address",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyModelAdmin):
    """The delivery log: read-only; a replay goes through the service."""

    list_display = [
        "delivery_id",
        "endpoint",
        "event_type",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["delivery_id", "message_id", "endpoint__webhook_id"]
    exclude = ["claim_token"]
    inlines = [DeliveryAttemptInline]
    actions = ["replay_deliveries"]

    def has_replay_permission(self, request):
        return request.user.has_perm("webhooks.replay_delivery")

    @admin.action(description="Replay selected deliveries", permissions=["replay"])
    def replay_deliveries(self, request, queryset):
        replayed, refused = 0, []
        for delivery in queryset.select_related("endpoint"):
            try:
                delivery_replay(delivery=delivery)
                _audited(request, delivery, "replay")
                replayed += 1
            except (WebhookDisabled, WebhookStateConflict) as exc:
                refused.append(exc.message)
        self.message_user(request, f"Replayed {replayed} delivery(ies).")
        for message in refused:
            self.message_user(request, message, messages.WARNING)

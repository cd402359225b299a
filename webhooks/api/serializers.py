"""Request shapes (input only) and the answers the schema shows (from the instances)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.ssrf import MAX_URL_LENGTH


class EventListField(serializers.ListField):
    """Event types: a list, or one comma-separated string (handy in form bodies)."""

    child = serializers.CharField(max_length=64)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [s.strip() for s in data.split(",") if s.strip()]
        return super().to_internal_value(data)

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist") and self.field_name in dictionary:
            values = dictionary.getlist(self.field_name)
            return values[0] if len(values) == 1 else values
        return super().get_value(dictionary)


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=MAX_URL_LENGTH,
        trim_whitespace=False,
        help_text="https URL whose host resolves to public addresses only (semantics §11).",
    )
    events = EventListField(allow_empty=False, max_length=64)
    secret = serializers.CharField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        max_length=256,
        help_text="Signing secret (`whsec_…` or 16+ bytes of text); generated when absent.",
    )


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField(), read_only=True)
    status = serializers.CharField(
        read_only=True, help_text="`active`, `paused` (deliveries held) or `disabled`."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "webhook_id",
            "url",
            "events",
            "status",
            "status_reason",
            "status_changed_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    """A new endpoint with its secret (`context["secret"]`), shown only this once."""

    success = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    secret = serializers.SerializerMethodField(
        help_text="The signing secret. Shown only this once: null in an Idempotency-Key replay."
    )

    class Meta(WebhookSerializer.Meta):
        fields = ["success", "message", "secret", *WebhookSerializer.Meta.fields]
        read_only_fields = fields

    def get_success(self, endpoint) -> bool:
        return True

    def get_message(self, endpoint) -> str:
        kind = "Pricing webhook" if endpoint.kind == WebhookEndpoint.Kind.PRICING else "Webhook"
        return f"{kind} registered"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, endpoint) -> str | None:
        return self.context.get("secret")


class PricingWebhookListSerializer(serializers.Serializer):
    """`GET /pricing/webhooks` as the reference shows it: every one, unpaginated."""

    success = serializers.BooleanField(default=True)
    webhooks = WebhookSerializer(many=True)
    count = serializers.IntegerField()


class WebhookRemovedSerializer(serializers.Serializer):
    success = serializers.BooleanField(default=True)
    message = serializers.CharField()


class WebhookSecretRotateSerializer(serializers.Serializer):
    secret = serializers.CharField(
        required=False,
        allow_null=True,
        trim_whitespace=False,
        max_length=256,
        help_text="The new secret; generated when absent.",
    )
    grace_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        default=24,
        help_text="Hours during which deliveries carry a signature with the old secret too.",
    )


class WebhookSecretRotatedSerializer(serializers.ModelSerializer):
    success = serializers.SerializerMethodField()
    secret = serializers.SerializerMethodField(
        help_text="The new secret. Shown only this once: null in an Idempotency-Key replay."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["success", "webhook_id", "secret", "previous_secret_expires_at"]
        read_only_fields = fields

    def get_success(self, endpoint) -> bool:
        return True

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_secret(self, endpoint) -> str | None:
        return self.context.get("secret")


class WebhookTestSerializer(serializers.Serializer):
    event = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Event type to imitate; default: the endpoint's first subscribed type.",
    )


class DeliveryAttemptSerializer(serializers.ModelSerializer):
    attempt = serializers.IntegerField(source="number")

    class Meta:
        model = DeliveryAttempt
        fields = [
            "attempt",
            "started_at",
            "status_code",
            "duration_ms",
            "response_excerpt",
            "error",
            "next_retry_at",
        ]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="endpoint.webhook_id")
    event = serializers.CharField(source="event_type")
    message_id = serializers.CharField(help_text="The `webhook-id` header, the same each time.")
    test = serializers.BooleanField(source="is_test")
    status = serializers.CharField(help_text="`pending`, `delivered` or `failed` (final).")
    attempts = DeliveryAttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = [
            "delivery_id",
            "webhook_id",
            "event",
            "message_id",
            "test",
            "status",
            "attempt_count",
            "last_status_code",
            "next_attempt_at",
            "created_at",
            "delivered_at",
            "attempts",
        ]
        read_only_fields = fields


class DeliveryQueuedSerializer(DeliverySerializer):
    """A delivery queued by a test or a replay (`context["message"]`)."""

    success = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()

    class Meta(DeliverySerializer.Meta):
        fields = ["success", "message", *DeliverySerializer.Meta.fields]
        read_only_fields = fields

    def get_success(self, delivery) -> bool:
        return True

    def get_message(self, delivery) -> str:
        return self.context.get("message", "Delivery queued")

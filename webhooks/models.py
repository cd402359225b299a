"""Webhook endpoints, their deliveries and each delivery's attempts; the outbox cursor.

A delivery is one event (`j1msky.Event`, the outbox) for one endpoint, unique per pair, so the
outbox can be read again after a crash without sending anything twice as a new message. Its
`message_id` (the `webhook-id` header) is the event's, the same on every attempt. Attempts are
rows of their own: the delivery log.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from j1msky.models import Event
from j1msky.sealing import ContentTextField
from security.crypto import EncryptedTextField

ID_PREFIXES = {"agent": "wh_", "pricing": "pricing_webhook_"}


def new_webhook_id(kind: str) -> str:
    return ID_PREFIXES[kind] + secrets.token_hex(8)


def new_delivery_id() -> str:
    return "whd_" + secrets.token_hex(10)


class WebhookEndpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its secret."""

    class Kind(models.TextChoices):
        AGENT = "agent"  # POST /webhooks
        PRICING = "pricing"  # POST /pricing/webhook

    class Status(models.TextChoices):
        ACTIVE = "active"
        PAUSED = "paused"  # deliveries are created and held until it resumes
        DISABLED = "disabled"  # by a 410 or a final failure; nothing is created for it

    webhook_id = models.CharField(max_length=40, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.CharField(max_length=2048)
    events = models.JSONField(default=list)
    secret = EncryptedTextField()
    previous_secret = EncryptedTextField(null=True, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    events_after_id = models.BigIntegerField(
        default=0, help_text="Only events with a greater id are delivered (none from before)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by_key_id = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "kind", "created_at"])]
        permissions = [("send_test_webhookendpoint", "Can send a test event to an endpoint")]

    def __str__(self) -> str:
        return self.webhook_id

    def signing_secrets(self, now) -> list[str]:
        """The secrets each delivery is signed with: the current one, and the previous one
        during a rotation's grace period."""
        secrets_ = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            secrets_.append(self.previous_secret)
        return secrets_


class Delivery(models.Model):
    """One message for one endpoint: an event of the outbox, or a test event."""

    class Status(models.TextChoices):
        PENDING = "pending"  # an attempt is due at next_attempt_at
        DELIVERED = "delivered"
        FAILED = "failed"  # final: no attempt left, or its endpoint was disabled

    delivery_id = models.CharField(
        max_length=32, unique=True, default=new_delivery_id, editable=False
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.CASCADE)
    event_type = models.CharField(max_length=64)
    message_id = models.CharField(max_length=64, help_text="The `webhook-id` header.")
    test_data = models.JSONField(null=True, blank=True, help_text="A test event's data.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(
        default=0, help_text="Failed attempts since it was queued or replayed (the schedule)."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="delivery_unique_event")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "created_at"]),
            models.Index(fields=["status", "claimed_until"]),
        ]
        permissions = [("replay_delivery", "Can replay a webhook delivery")]

    def __str__(self) -> str:
        return self.delivery_id

    @property
    def is_test(self) -> bool:
        return self.event_id is None


class DeliveryAttempt(models.Model):
    """One POST of a delivery (or an attempt its worker did not live to finish)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # A receiver may echo the payload (a task, a result): sealed with the content it may quote.
    response_excerpt = ContentTextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    address = models.CharField(max_length=64, blank=True, help_text="The address connected to.")
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="attempt_unique_number")
        ]
        ordering = ["delivery_id", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}"


class OutboxCursor(models.Model):
    """How far the dispatcher has read the outbox: every event id up to `position` has been
    turned into deliveries, except the ids in `OutboxGap` (not committed when it passed)."""

    name = models.CharField(max_length=32, unique=True)
    position = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}@{self.position}"


class OutboxGap(models.Model):
    """An event id the cursor passed while no committed event had it: a transaction still
    running (PostgreSQL hands out ids before commit) or one rolled back. Looked at again until
    it shows up or `noticed_at` is older than the gap window."""

    event_id = models.BigIntegerField(unique=True)
    noticed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.event_id)

"""Deliveries a user asks for: a test event, and the replay of a logged delivery."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from webhooks.errors import UnknownEventType, WebhookDisabled, WebhookStateConflict
from webhooks.messages import deliver_message_on_commit
from webhooks.models import Delivery, WebhookEndpoint
from webhooks.payload import message_id_of_test, sample_data
from webhooks.services.endpoints import event_types_for


@transaction.atomic
def webhook_test_send(
    *, endpoint: WebhookEndpoint, event_type: str | None = None, now: datetime | None = None
) -> Delivery:
    """Queue a test event (its own `webhook-id`, data marked `test`) for one attempt, whatever
    the endpoint's state; its result shows in the delivery log and never disables anything.
    The type defaults to the endpoint's first subscribed one."""
    event_type = event_type or endpoint.events[0]
    allowed = event_types_for(endpoint.kind)
    if event_type not in allowed:
        raise UnknownEventType([event_type], allowed)
    now = now or timezone.now()
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event=None,
        event_type=event_type,
        message_id=message_id_of_test(),
        test_data=sample_data(event_type),
        next_attempt_at=now,
        created_at=now,
    )
    deliver_message_on_commit()
    return delivery


@transaction.atomic
def delivery_replay(*, delivery: Delivery, now: datetime | None = None) -> Delivery:
    """Send a logged delivery again, now, with the same body and `webhook-id`; its retry
    schedule starts over. Refused while an attempt is in flight or the endpoint is disabled."""
    if delivery.endpoint.status == WebhookEndpoint.Status.DISABLED and not delivery.is_test:
        raise WebhookDisabled(delivery.endpoint.webhook_id)
    now = now or timezone.now()
    if not Delivery.objects.filter(pk=delivery.pk, claim_token="").update(
        status=Delivery.Status.PENDING, failures=0, next_attempt_at=now
    ):
        raise WebhookStateConflict(
            f"Delivery {delivery.delivery_id} is being sent; replay it when the attempt ends"
        )
    delivery.refresh_from_db()
    deliver_message_on_commit()
    return delivery

"""Writes of the webhooks app: endpoints, the deliveries users ask for, reading the outbox and
sending (see each module)."""

from webhooks.services.attempts import (
    deliveries_claim,
    deliveries_recover,
    delivery_attempts_record,
)
from webhooks.services.deliveries import delivery_replay, webhook_test_send
from webhooks.services.endpoints import (
    event_types_for,
    webhook_create,
    webhook_delete,
    webhook_disable,
    webhook_pause,
    webhook_resume,
    webhook_secret_rotate,
)
from webhooks.services.outbox import outbox_behind, outbox_dispatch
from webhooks.services.sending import deliveries_send, webhooks_deliver

__all__ = [
    "deliveries_claim",
    "deliveries_recover",
    "deliveries_send",
    "delivery_attempts_record",
    "delivery_replay",
    "event_types_for",
    "outbox_behind",
    "outbox_dispatch",
    "webhook_create",
    "webhook_delete",
    "webhook_disable",
    "webhook_pause",
    "webhook_resume",
    "webhook_secret_rotate",
    "webhook_test_send",
    "webhooks_deliver",
]

"""The outbox's doorbell: a new event that a live endpoint subscribes to sends one deliver
message once its transaction commits, so the first attempt follows the event within a broker
hop instead of waiting for the beat. Only a wake-up: a missed one costs latency, never an event
(the beat reads the outbox every minute)."""

from __future__ import annotations

from j1msky.models import Event
from webhooks.messages import deliver_message_on_commit
from webhooks.selectors import event_has_subscribers


def event_committed_wake(sender, instance: Event, created: bool, raw: bool = False, **kwargs):
    if created and not raw and event_has_subscribers(event=instance):
        deliver_message_on_commit()

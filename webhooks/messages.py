"""Deliver messages: what wakes a worker when deliveries may be due.

A message carries no work of its own (the database holds every delivery): a worker that takes
one reads the outbox and sends whatever is due, so a lost message delays a delivery at most
until the beat's next pass and a duplicate costs one empty look. It names the task instead of
importing it, as the agents' run messages do.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

DELIVER = "webhooks.tasks.deliver"

logger = logging.getLogger(__name__)


def deliver_message_send(*, countdown: float | None = None) -> None:
    """Send one deliver message now (or due in `countdown` seconds); a broker that is down is
    logged, not raised: the beat sends the next one. Eager mode (tests, debugging) runs a
    message at once whatever its countdown, so a delayed one is left to the beat there."""
    if countdown and current_app.conf.task_always_eager:
        return
    try:
        current_app.signature(DELIVER).apply_async(countdown=countdown)
    except Exception:
        logger.warning("could not send a webhook deliver message", exc_info=True)


def _send_now() -> None:
    deliver_message_send()


def deliver_message_on_commit() -> None:
    """One deliver message when the current transaction commits, however many events or
    deliveries it wrote; none if it rolls back."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        entry[1] is _send_now for entry in getattr(connection, "run_on_commit", ())
    ):
        return
    transaction.on_commit(_send_now, robust=True)

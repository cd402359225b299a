"""Reading the outbox (`j1msky.Event`): each new event becomes one delivery per subscribed
endpoint, and no event is skipped, whatever crashes or commits out of order.

The dispatcher's position is a row (`OutboxCursor`) moved in the transaction that creates the
deliveries, so a crash either leaves both or neither. Deliveries are unique per (event,
endpoint): reading an event twice creates nothing twice.

Event ids come from the database. On PostgreSQL a transaction takes its id when it inserts and
may commit after a later id did: when the cursor passes an id no committed event has yet, the
id is kept as a gap (`OutboxGap`) and looked for on every pass until it appears or the gap
window (`GAP_WINDOW`, far longer than any transaction that writes an event) has passed; a
rolled-back insert leaves such an id for good. On SQLite writers take turns, so ids commit in
order and no gap arises.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from j1msky.models import Event
from webhooks.models import Delivery, OutboxCursor, OutboxGap, WebhookEndpoint
from webhooks.payload import message_id_of_event
from webhooks.selectors import LIVE_STATUSES, endpoint_receives

CURSOR_NAME = "webhooks"
BATCH = 500
GAP_WINDOW = timedelta(minutes=10)
MAX_GAPS_PER_PASS = 1000  # a jump wider than this (ids burnt in bulk) is not tracked id by id
MAX_OPEN_GAPS = 5000

EventRow = tuple[int, str, int | None]  # id, type, owner id


def _cursor_locked() -> OutboxCursor:
    """The cursor row, locked. Made on first use where the oldest endpoint's events start (each
    endpoint receives only events after the last one when it was registered), or at the
    outbox's end when there is no endpoint."""
    cursor = OutboxCursor.objects.select_for_update().filter(name=CURSOR_NAME).first()
    if cursor is None:
        start = WebhookEndpoint.objects.aggregate(start=Min("events_after_id"))["start"]
        if start is None:
            start = Event.objects.aggregate(last=Max("id"))["last"] or 0
        OutboxCursor.objects.get_or_create(name=CURSOR_NAME, defaults={"position": start})
        cursor = OutboxCursor.objects.select_for_update().get(name=CURSOR_NAME)
    return cursor


def outbox_behind() -> bool:
    """Whether the outbox holds events the cursor has not passed, or gaps are open (a cheap
    read, without the cursor's lock)."""
    position = (
        OutboxCursor.objects.filter(name=CURSOR_NAME).values_list("position", flat=True).first()
    )
    if position is None:
        return Event.objects.exists()
    return Event.objects.filter(id__gt=position).exists() or OutboxGap.objects.exists()


@transaction.atomic
def outbox_dispatch(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Turn the next events of the outbox (at most `batch`, plus any that filled a gap) into
    deliveries; returns how many it wrote (one that exists already is left as it is)."""
    now = now or timezone.now()
    cursor = _cursor_locked()
    endpoints = list(
        WebhookEndpoint.objects.filter(status__in=LIVE_STATUSES).defer("secret", "previous_secret")
    )
    if not endpoints:
        # Nobody to deliver to: skip to the end (an endpoint never gets events from before it).
        cursor.position = Event.objects.aggregate(last=Max("id"))["last"] or cursor.position
        cursor.updated_at = now
        cursor.save(update_fields=["position", "updated_at"])
        OutboxGap.objects.all().delete()
        return 0
    rows: list[EventRow] = list(
        Event.objects.filter(id__gt=cursor.position)
        .order_by("id")
        .values_list("id", "type", "owner_id")[:batch]
    )
    late = _gaps_filled(now)
    if rows:
        # A cursor at 0 started on an empty outbox: the ids below the first event it reads were
        # spent before any endpoint existed (events since purged, or rolled back), not gaps.
        _gaps_open(cursor.position or rows[0][0] - 1, [r[0] for r in rows], now)
        cursor.position = rows[-1][0]
        cursor.updated_at = now
        cursor.save(update_fields=["position", "updated_at"])
    return _fan_out([*late, *rows], endpoints, now)


def _gaps_open(position: int, ids: list[int], now: datetime) -> None:
    """Record the ids between `position` and the events read that no committed event holds."""
    missing: list[int] = []
    expected = position + 1
    for event_id in ids:
        if event_id > expected:
            missing.extend(range(expected, min(event_id, expected + MAX_GAPS_PER_PASS)))
        expected = event_id + 1
    if missing:
        OutboxGap.objects.bulk_create(
            [OutboxGap(event_id=i, noticed_at=now) for i in missing[:MAX_GAPS_PER_PASS]],
            ignore_conflicts=True,
        )


def _gaps_filled(now: datetime) -> list[EventRow]:
    """Events that have appeared in open gaps since the last pass; closes those gaps and the
    ones older than the gap window."""
    OutboxGap.objects.filter(noticed_at__lt=now - GAP_WINDOW).delete()
    gap_ids = list(
        OutboxGap.objects.order_by("-event_id").values_list("event_id", flat=True)[:MAX_OPEN_GAPS]
    )
    if not gap_ids:
        return []
    late = list(
        Event.objects.filter(id__in=gap_ids).order_by("id").values_list("id", "type", "owner_id")
    )
    if late:
        OutboxGap.objects.filter(event_id__in=[r[0] for r in late]).delete()
    return late


def _fan_out(rows: list[EventRow], endpoints: list[WebhookEndpoint], now: datetime) -> int:
    """One pending delivery per (event, endpoint that receives it), created idempotently."""
    by_type: dict[str, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in endpoints:
        for event_type in endpoint.events:
            by_type[event_type].append(endpoint)
    deliveries = [
        Delivery(
            endpoint=endpoint,
            event_id=event_id,
            event_type=event_type,
            message_id=message_id_of_event(event_id),
            next_attempt_at=now,
            created_at=now,
        )
        for event_id, event_type, owner_id in rows
        for endpoint in by_type.get(event_type, ())
        if endpoint_receives(endpoint, event_type=event_type, owner_id=owner_id, event_id=event_id)
    ]
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)

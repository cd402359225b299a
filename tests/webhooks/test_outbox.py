"""Reading the outbox into deliveries: idempotent, no event skipped when ids commit out of
order, claims exclusive, lapsed claims recovered, and a wake-up per committed transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from j1msky.events import event_emit
from j1msky.models import Event
from tests.webhooks.conftest import deliver, register
from tests.webhooks.receivers import http_receiver
from webhooks.http import DeliveryResult
from webhooks.models import Delivery, OutboxCursor, OutboxGap
from webhooks.services import (
    deliveries_claim,
    deliveries_recover,
    delivery_attempts_record,
    outbox_dispatch,
    webhooks_deliver,
)
from webhooks.services.attempts import INTERRUPTED, delivery_outgoing
from webhooks.services.outbox import GAP_WINDOW
from webhooks.services.sending import next_wake_after

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_allowed")]

URL = "https://8.8.8.8/hook"


@pytest.fixture
def hook(owner):
    return register(owner, URL, ["agent.completed", "agent.failed"]).json()


def emit(owner, kind="agent.completed", **data):
    return Event.objects.create(type=kind, owner=owner.user, data=data)


def test_each_event_becomes_one_delivery_per_endpoint_however_often_it_is_read(owner, hook):
    second = register(owner, "https://1.1.1.1/", ["agent.completed"]).json()
    emit(owner)
    emit(owner, "agent.failed")
    emit(owner, "agent.spawned")  # nobody subscribes
    assert outbox_dispatch() == 3
    assert outbox_dispatch() == 0
    OutboxCursor.objects.update(position=0)  # a crash before the cursor moved: read again
    outbox_dispatch()
    pairs = sorted(Delivery.objects.values_list("event__type", "endpoint__webhook_id"))
    assert pairs == sorted(
        [
            ("agent.completed", hook["webhook_id"]),
            ("agent.completed", second["webhook_id"]),
            ("agent.failed", hook["webhook_id"]),
        ]
    )
    assert set(Delivery.objects.values_list("message_id", flat=True)) == {
        f"evt_{pk}"
        for pk in Event.objects.filter(type__in=["agent.completed", "agent.failed"]).values_list(
            "pk", flat=True
        )
    }


def test_ids_spent_before_an_empty_outbox_got_its_first_endpoint_are_not_gaps(owner):
    """Events written and purged before any endpoint existed leave the outbox empty and its ids
    spent; the first endpoint's cursor starts at 0 and must not take those ids for gaps."""
    for _ in range(5):
        emit(owner)
    Event.objects.all().delete()
    register(owner, URL, ["agent.completed"])
    first = emit(owner).pk
    assert first > 5  # the ids were spent, not reused
    assert outbox_dispatch() == 1
    assert not OutboxGap.objects.exists()
    assert OutboxCursor.objects.get().position == first


def test_an_event_that_commits_after_a_later_id_is_not_skipped(owner, hook):
    """PostgreSQL hands out ids at insert time: id n+1 may commit before id n. The cursor
    passes n as a gap and picks the event up once it is committed."""
    base = emit(owner).pk
    outbox_dispatch()
    Event.objects.create(pk=base + 3, type="agent.completed", owner=owner.user, data={})
    outbox_dispatch()
    assert sorted(OutboxGap.objects.values_list("event_id", flat=True)) == [base + 1, base + 2]
    assert OutboxCursor.objects.get().position == base + 3
    Event.objects.create(pk=base + 1, type="agent.failed", owner=owner.user, data={})  # late
    outbox_dispatch()
    assert Delivery.objects.filter(event_id=base + 1).count() == 1
    assert list(OutboxGap.objects.values_list("event_id", flat=True)) == [base + 2]
    # A gap older than the window was a rolled-back insert: it is forgotten.
    outbox_dispatch(now=timezone.now() + GAP_WINDOW + timedelta(seconds=1))
    assert not OutboxGap.objects.exists()
    assert Delivery.objects.count() == 3


def test_with_no_endpoint_the_cursor_skips_to_the_end(owner):
    emit(owner)
    outbox_dispatch()
    assert OutboxCursor.objects.get().position == Event.objects.latest("pk").pk
    assert not Delivery.objects.exists()


def test_a_claim_is_exclusive_and_a_stale_record_changes_nothing(owner, hook):
    emit(owner)
    outbox_dispatch()
    now = timezone.now()
    [mine] = deliveries_claim(limit=10, now=now, lease=timedelta(seconds=30))
    assert deliveries_claim(limit=10, now=now, lease=timedelta(seconds=30)) == []
    outgoing = delivery_outgoing(mine, now=now)
    stale = outgoing.__class__(**{**outgoing.__dict__, "claim_token": "someone-else"})
    ok = DeliveryResult(200, 5, "ok", "")
    assert delivery_attempts_record([(stale, ok)], now=now) == 0
    assert Delivery.objects.get().attempt_count == 0
    assert delivery_attempts_record([(outgoing, ok)], now=now) == 1
    assert Delivery.objects.get().status == "delivered"


def test_a_lapsed_claim_is_logged_as_interrupted_and_sent_again(owner, clock):
    with http_receiver() as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/", ["agent.completed"])
        emit(owner)
        outbox_dispatch()
        deliveries_claim(limit=1, now=clock(), lease=timedelta(seconds=30))  # then the worker died
        assert deliveries_recover(now=clock()) == 0  # the lease still runs
        clock.advance(seconds=31)
        deliver(clock)
    assert len(receiver.requests) == 1
    delivery = Delivery.objects.get()
    attempts = list(delivery.attempts.values_list("error", "status_code"))
    assert attempts == [(INTERRUPTED, None), ("", 200)]
    assert (delivery.status, delivery.attempt_count) == ("delivered", 2)


def test_an_endpoint_deleted_mid_attempt_records_nothing(owner, hook):
    emit(owner)
    outbox_dispatch()
    now = timezone.now()
    [claimed] = deliveries_claim(limit=1, now=now, lease=timedelta(seconds=30))
    outgoing = delivery_outgoing(claimed, now=now)
    owner.delete(f"/api/webhooks/{hook['webhook_id']}")
    result = DeliveryResult(200, 3, "", "")
    assert delivery_attempts_record([(outgoing, result)], now=now) == 0
    assert not Delivery.objects.exists()


def _wakes(callbacks) -> int:
    from webhooks.messages import _send_now

    return sum(1 for c in callbacks if c is _send_now)


def test_one_wake_up_per_committed_transaction(owner, hook, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            event_emit(type="agent.completed", owner=owner.user, data={})
    assert _wakes(callbacks) == 1


def test_no_wake_up_for_an_event_nobody_subscribes_to(
    owner, hook, admin_of, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        event_emit(type="agent.spawned", owner=owner.user, data={})  # not subscribed
        event_emit(type="agent.completed", owner=admin_of().user, data={})  # another owner's
    assert _wakes(callbacks) == 0


def test_an_event_without_owner_wakes_for_every_subscriber(
    owner, hook, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        event_emit(type="agent.completed", owner=None, data={})
    assert _wakes(callbacks) == 1


def test_a_rolled_back_event_sends_no_wake_up(owner, hook, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                event_emit(type="agent.completed", owner=owner.user, data={})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []


def test_a_retry_due_soon_gets_a_wake_up_and_a_later_one_waits_for_the_beat(owner, clock):
    with http_receiver(lambda h: h.send_error(503)) as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/", ["agent.completed"])
        emit(owner)
        report = webhooks_deliver(clock=clock, budget_seconds=5)
        assert (report.dispatched, report.failed) == (1, 1)
        assert 4 <= next_wake_after(now=clock()) <= 6  # the first retry: 5 s, ±10 %
        clock.advance(seconds=6)
        deliver(clock)
    assert len(receiver.requests) == 2
    assert next_wake_after(now=clock()) is None  # the second retry: 5 min, left to the beat


def test_the_log_purge_keeps_pending_and_recent_deliveries(owner, hook, settings):
    from webhooks.services.logs import delivery_log_purge

    for _ in range(3):
        emit(owner)
    outbox_dispatch()
    old, pending_old, recent = Delivery.objects.order_by("pk")
    long_ago = timezone.now() - timedelta(days=settings.J1MSKY_WEBHOOK_LOG_RETENTION_DAYS + 1)
    Delivery.objects.filter(pk__in=[old.pk, pending_old.pk]).update(created_at=long_ago)
    Delivery.objects.filter(pk__in=[old.pk, recent.pk]).update(status="delivered")
    assert delivery_log_purge() == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {pending_old.pk, recent.pk}

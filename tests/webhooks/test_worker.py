"""Delivery by real Celery workers: an event committed in one process reaches the receiver
through a worker without anyone calling it, and a worker killed mid-delivery loses nothing."""

from __future__ import annotations

import os
import signal
import threading

import pytest
from celery import current_app
from django.db import transaction
from django.utils import timezone

from j1msky.events import event_emit
from tests.processes import celery_worker, subprocess_env, wait_for
from tests.webhooks.conftest import register
from tests.webhooks.receivers import http_receiver, respond_ok
from webhooks.models import Delivery
from webhooks.services.attempts import INTERRUPTED

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("loopback_allowed"),
]

WORKER_ENV = {
    "J1MSKY_WEBHOOK_ALLOW_HTTP": "true",
    "J1MSKY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
    "J1MSKY_WEBHOOK_TIMEOUT_SECONDS": "2",  # a claim's lease: 5 x 2 s + 10 s
    "J1MSKY_WEBHOOK_SENDERS": "2",
    "J1MSKY_WORKER_HEARTBEAT_SECONDS": "1",
}


def test_a_committed_event_reaches_the_receiver_through_a_worker(owner):
    with http_receiver() as receiver, celery_worker(env=subprocess_env(**WORKER_ENV)):
        register(owner, f"http://127.0.0.1:{receiver.port}/", ["agent.completed"])
        event = event_emit(type="agent.completed", owner=owner.user, data={"agent_id": "a"})
        wait_for(lambda: receiver.requests, timeout=20, message="the delivery")
    assert receiver.requests[0].headers["webhook-id"] == f"evt_{event.pk}"
    wait_for(lambda: Delivery.objects.filter(status="delivered").exists(), timeout=10)


def test_killing_the_worker_mid_delivery_loses_no_event(owner):
    release = threading.Event()
    stalled = threading.Event()

    def respond(handler):
        if not stalled.is_set():
            stalled.set()
            release.wait(60)  # in flight until the worker is dead; then no answer at all
            return
        respond_ok(handler)

    env = subprocess_env(**WORKER_ENV)
    with http_receiver(respond) as receiver:
        register(owner, f"http://127.0.0.1:{receiver.port}/", ["agent.completed"])
        with transaction.atomic():
            events = [
                event_emit(type="agent.completed", owner=owner.user, data={"n": n})
                for n in range(3)
            ]
        with celery_worker(env=env, concurrency=1, name="doomed") as worker:
            wait_for(stalled.is_set, timeout=20, message="a delivery in flight")
            wait_for(
                lambda: Delivery.objects.filter(status="delivered").count() == 2,
                timeout=20,
                message="the other two delivered",
            )
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        release.set()
        [in_flight] = Delivery.objects.exclude(status="delivered")
        assert in_flight.claim_token and in_flight.attempt_count == 0
        with celery_worker(env=env, concurrency=1, name="restarted"):
            wait_for(
                lambda: Delivery.objects.get(pk=in_flight.pk).claimed_until < timezone.now(),
                timeout=30,
                message="the dead worker's claim to lapse",
            )
            current_app.signature("webhooks.tasks.deliver").delay()  # what the beat sends
            wait_for(
                lambda: Delivery.objects.filter(status="delivered").count() == 3,
                timeout=30,
                message="the recovered delivery",
            )
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(set(ids)) == sorted(f"evt_{e.pk}" for e in events)
    assert ids.count(in_flight.message_id) == 2  # at least once: the same id again
    attempts = list(
        Delivery.objects.get(pk=in_flight.pk).attempts.values_list("error", "status_code")
    )
    assert attempts == [(INTERRUPTED, None), ("", 200)]

"""The whole path with real processes: the Python client registers webhooks on a gunicorn
server, a Celery worker runs an agent and delivers its `agent.completed` to a receiver on
127.0.0.1, where `standardwebhooks` verifies it; the client reads the log, replays, tests,
pauses, resumes and rotates, for both kinds of webhook."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook

from j1msky.sdk import Agency
from tests.processes import celery_worker, gunicorn_server, subprocess_env, wait_for
from tests.webhooks.receivers import http_receiver
from tests.webhooks.test_worker import WORKER_ENV

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_client_and_a_worker_deliver_verify_replay_and_test(owner):
    env = subprocess_env(J1MSKY_SIMULATED_TOKEN_DELAY="0", **WORKER_ENV)
    with (
        http_receiver() as receiver,
        gunicorn_server(workers=1, threads=4, env=env) as url,
        celery_worker(env=env),
    ):
        agency = Agency(owner.secret, url, max_retries=0)
        hook = agency.webhooks.create(f"http://127.0.0.1:{receiver.port}/in", ["agent.completed"])
        agent = agency.spawn("k2p5", "Name three owls")
        agent.wait_for_completion(timeout=60)
        wait_for(lambda: receiver.requests, timeout=30, message="agent.completed delivered")
        [request] = receiver.requests
        payload = Webhook(hook.secret).verify(request.body, request.headers)
        assert (payload["event"], payload["data"]["agent_id"]) == (
            "agent.completed",
            agent.agent_id,
        )

        [delivery] = list(agency.webhooks.deliveries(hook.webhook_id))
        assert (delivery.status, delivery.message_id) == (
            "delivered",
            request.headers["webhook-id"],
        )
        assert delivery.attempts[0]["status_code"] == 200
        assert agency.webhooks.replay(delivery.delivery_id).status == "pending"
        wait_for(lambda: len(receiver.requests) == 2, timeout=30, message="the replay")
        assert receiver.requests[1].headers["webhook-id"] == request.headers["webhook-id"]

        queued = agency.webhooks.test(hook.webhook_id)
        wait_for(lambda: len(receiver.requests) == 3, timeout=30, message="the test event")
        test_event = json.loads(receiver.requests[2].body)
        assert test_event["data"]["test"] is True
        assert receiver.requests[2].headers["webhook-id"] == queued.message_id

        assert agency.webhooks.pause(hook.webhook_id).status == "paused"
        assert agency.webhooks.resume(hook.webhook_id).status == "active"
        rotated = agency.webhooks.rotate_secret(hook.webhook_id, grace_hours=1)
        assert rotated.secret.startswith("whsec_") and rotated.secret != hook.secret

        pricing = agency.pricing.webhooks.create(
            f"http://127.0.0.1:{receiver.port}/pricing", ["pricing.quote_generated"]
        )
        listed = list(agency.pricing.webhooks.list())
        assert [w.webhook_id for w in listed] == [pricing.webhook_id]
        assert agency.pricing.webhooks.delete(pricing.webhook_id).success
        assert agency.webhooks.delete(hook.webhook_id).success

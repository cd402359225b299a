"""Fixtures for webhook tests: loopback receivers allowed, owners' clients, sending in-process."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.fakeprovider import fake_provider_server
from webhooks.services import deliveries_recover, deliveries_send, outbox_dispatch

AGENT_EVENTS = ["agent.completed", "agent.failed"]


@pytest.fixture
def loopback_allowed(settings):
    """The two settings that let a webhook reach a receiver on 127.0.0.1 over http."""
    settings.J1MSKY_WEBHOOK_ALLOW_HTTP = True
    settings.J1MSKY_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    settings.J1MSKY_WEBHOOK_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def admin_of(make_client):
    """`admin_of(user=None)`: a client holding every scope, for a new owner (or `user`)."""

    def make(user=None):
        return make_client(
            ["admin:write", "agents:read", "agents:write", "billing:read", "billing:write"],
            user=user,
        )

    return make


@pytest.fixture
def owner(admin_of):
    return admin_of()


def register(client, url: str, events=None, *, kind: str = "agent", **fields):
    """POST a webhook of `kind`; returns the response."""
    path = "/api/webhooks" if kind == "agent" else "/api/pricing/webhook"
    body = {"url": url, "events": events or AGENT_EVENTS, **fields}
    return client.post(path, body, format="json")


class Clock:
    """An injectable `timezone.now` that can jump forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return timezone.now() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def deliver(clock: Callable[[], datetime] = timezone.now, resolver=socket.getaddrinfo):
    """What a worker's deliver task does, in this process, without sending wake messages:
    recover lapsed claims, read the outbox, send whatever is due."""
    deliveries_recover(now=clock())
    outbox_dispatch(now=clock())
    return deliveries_send(clock=clock, resolver=resolver, budget_seconds=10)


@pytest.fixture
def live_providers(settings):
    """Every provider pointed at a fake provider server on 127.0.0.1 (agents that really run)."""
    with fake_provider_server() as fake:
        settings.J1MSKY_PROVIDERS = {
            "ANTHROPIC": {"api_key": "sk-ant-test", "base_url": fake.anthropic_base_url},
            "KIMI": {"api_key": "sk-kimi-test", "base_url": fake.openai_base_url},
            "MINIMAX": {"api_key": "sk-minimax-test", "base_url": fake.openai_base_url},
            "OPENAI": {"api_key": "sk-openai-test", "base_url": fake.openai_base_url},
        }
        yield fake

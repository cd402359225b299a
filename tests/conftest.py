"""Shared fixtures: API clients holding keys with chosen scopes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from j1msky.api.permissions import SCOPES
from security.services import api_key_create
from tests.fakeprovider import FakeProviderServer, fake_provider_server

ALL_SCOPES = list(SCOPES)
_users = itertools.count()


@pytest.fixture(autouse=True)
def _generous_ip_limits(settings):
    """Every test request comes from 127.0.0.1; the per-IP guards get their own tests."""
    settings.J1MSKY_IP_RATE_LIMIT = 10**9
    settings.J1MSKY_AUTH_FAILURE_LIMIT = 10**9


@pytest.fixture
def make_user(db):
    def make(username: str | None = None, **extra):
        return get_user_model().objects.create_user(
            username=username or f"user{next(_users)}", email="owner@example.com", **extra
        )

    return make


@pytest.fixture
def make_client(db, make_user):
    """`make_client(["agents:read"], user=None, staff=False)` → an APIClient with a fresh key.

    The client carries `.key` (the ApiKey row), `.secret` and `.user`; `staff=True` makes its
    owner staff (who may change system-wide settings and read every owner's usage).
    """

    def make(scopes=None, *, user=None, staff=False, **key_fields):
        user = user or make_user(is_staff=staff)
        key, secret = api_key_create(
            owner=user, name="test", scopes=scopes or ALL_SCOPES, **key_fields
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.key, client.secret, client.user = key, secret, user
        return client

    return make


@pytest.fixture
def admin_client(make_client):
    """Every scope, owned by a staff user: the operator."""
    return make_client(ALL_SCOPES, staff=True)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def run_waiting():
    """Run the waiting agents in this process, as a worker's task does (highest priority first,
    until none is claimable); returns their ids in the order they ran."""
    from agents.tasks import run_next_agent

    return run_next_agent


@pytest.fixture
def fake_provider() -> Iterator[FakeProviderServer]:
    """A fresh fake provider on 127.0.0.1 (both wire formats), stopped after the test."""
    with fake_provider_server() as server:
        yield server


@pytest.fixture
def live_providers(fake_provider, settings):
    """Every provider configured with a key, pointed at the fake provider server."""
    settings.J1MSKY_PROVIDERS = {
        "ANTHROPIC": {"api_key": "sk-ant-test", "base_url": fake_provider.anthropic_base_url},
        "KIMI": {"api_key": "sk-kimi-test", "base_url": fake_provider.openai_base_url},
        "MINIMAX": {"api_key": "sk-minimax-test", "base_url": fake_provider.openai_base_url},
        "OPENAI": {"api_key": "sk-openai-test", "base_url": fake_provider.openai_base_url},
    }
    return fake_provider


def pytest_collection_modifyitems(items):
    """A transactional test flushes the database when it ends, and Django's post-migrate signal
    then re-creates the content types; a later test that restores the serialized database would
    meet them twice. So every transactional test restores it (`serialized_rollback=True`).

    Tests marked `postgres_only` are skipped, with the reason, when the suite runs on SQLite."""
    from django.conf import settings

    on_postgres = "postgresql" in settings.DATABASES["default"]["ENGINE"]
    needs_postgres = pytest.mark.skip(reason="postgres_only: runs with DATABASE_URL=postgres://")
    for item in items:
        if not on_postgres and item.get_closest_marker("postgres_only"):
            item.add_marker(needs_postgres)
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: django_db(transaction=True) needs serialized_rollback=True"
            )


@pytest.fixture
def chrome():
    """A headless Chromium driven by Selenium (tests marked `browser`), quit after the test."""
    from tests.browser import chrome as start

    driver = start()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def admin_server(django_user_model):
    """A real gunicorn serving the project on the test database, with a superuser to sign in as
    (`.username`, `.password`, `.user`); the dashboard refreshes every second. Needs a
    transactional test (`django_db(transaction=True, serialized_rollback=True)`)."""
    from types import SimpleNamespace

    from tests.processes import gunicorn_server, subprocess_env

    password = "operator-pw-1234"
    user = django_user_model.objects.create_superuser("operator", "ops@example.com", password)
    env = subprocess_env(J1MSKY_DASHBOARD_REFRESH_SECONDS="1")
    with gunicorn_server(workers=1, threads=4, env=env) as base:
        yield SimpleNamespace(base=base, username="operator", password=password, user=user)

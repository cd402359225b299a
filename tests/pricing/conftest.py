"""Pricing test fixtures: clients per scope set, body encodings, seeded policy and catalogue."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.apps import apps

from agents.models import Agent, ModelAlias
from billing.clock import budget_day
from billing.models import LedgerEntry
from pricing import engine

READ = ["billing:read"]
READ_WRITE = ["billing:read", "billing:write"]


@pytest.fixture
def seeded(db):
    """The seeded catalogue and policy version 1, restored if a transactional test flushed them
    (with the data migrations' own functions, so they match production)."""
    if not apps.get_model("agents", "Provider").objects.exists():
        importlib.import_module("agents.migrations.0002_seed_catalogue").seed(apps, None)
    if not apps.get_model("pricing", "PricingPolicy").objects.exists():
        importlib.import_module("pricing.migrations.0002_seed_policy").seed(apps, None)


@pytest.fixture
def reader(make_client, seeded):
    return make_client(READ)


@pytest.fixture
def writer(make_client, seeded):
    """A staff owner's key: it may change the pricing policy (a system-wide setting)."""
    return make_client(READ_WRITE, staff=True)


def quote_request(
    delivery_type: str = engine.DEFAULT_DELIVERY_TYPE, **fields
) -> engine.QuoteRequest:
    """What the quote and decision services take: the quote fields and a delivery type."""
    return engine.QuoteRequest(engine.QuoteInput(**fields), delivery_type)


def _form_value(value):
    if isinstance(value, list | dict):
        return json.dumps(value)
    return "" if value is None else str(value)


def send(client, path: str, body: dict, encoding: str = "json", method: str = "post"):
    """POST (or PUT) `body` as JSON, urlencoded form or multipart form. In a form, arrays and
    objects travel as JSON text, numbers as text."""
    call = getattr(client, method)
    if encoding == "json":
        return call(path, body, format="json")
    data = {key: _form_value(value) for key, value in body.items()}
    if encoding == "form":
        return call(path, urlencode(data), content_type="application/x-www-form-urlencoded")
    return call(path, data, format="multipart")


ENCODINGS = ["json", "form", "multipart"]


@pytest.fixture(params=ENCODINGS)
def encoding(request) -> str:
    return request.param


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    text = response.content.decode()
    assert "Infinity" not in text and "NaN" not in text
    return response.json()


def error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is False
    return body["error"]


@pytest.fixture
def ledger(db, make_user) -> Callable[..., None]:
    """`ledger(model, costs, now=...)`: one ledger row per cost (dollars) on now's budget day."""
    owner = make_user()

    def add(model: str, costs: list[str], *, now: datetime) -> None:
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                created_at=now,
                day=budget_day(now),
                owner=owner,
                model=model,
                provider=ModelAlias.objects.get(pk=model).provider_id,
                input_tokens=100,
                output_tokens=100,
                input_rate=Decimal("0.001"),
                output_rate=Decimal("0.001"),
                cost_micros=int(Decimal(cost) * 1_000_000),
            )
            for cost in costs
        )

    return add


@pytest.fixture
def completed_agents(db, make_user) -> Callable[..., None]:
    """`completed_agents(n, now=...)`: n agents that completed at `now`."""
    owner = make_user()
    counter = iter(range(10**6))

    def add(count: int, *, now: datetime, model: str = "k2p5") -> None:
        Agent.objects.bulk_create(
            Agent(
                agent_id=f"subagent_{int(now.timestamp())}_{next(counter):06d}",
                owner=owner,
                model_id=model,
                requested_model=model,
                task="t",
                max_tokens=100,
                status=Agent.Status.COMPLETED,
                created_at=now,
                completed_at=now,
            )
            for _ in range(count)
        )

    return add

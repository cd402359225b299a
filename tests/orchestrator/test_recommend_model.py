"""`POST /orchestrator/recommend-model` (semantics §8.2) against the live catalogue, windows,
breakers and budget. Every row of the table and the budget walk are table-tested on the pure
rule (test_rules.py); here each input comes from where it lives."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from agents.models import ModelAlias, Provider
from billing.services import budget_reserve, budget_set
from tests.ledger import window_take

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def reader(make_client):
    return make_client(["agents:read"])


def recommend(client, **body):
    response = client.post("/api/orchestrator/recommend-model", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def window_full(provider: str) -> None:
    limit = Provider.objects.get(pk=provider).hourly_limit
    window_take(provider=provider, n=limit)


def breaker_open(provider: str) -> None:
    Provider.objects.filter(pk=provider).update(
        breaker_state="open", breaker_failures=5, breaker_opened_at=timezone.now()
    )


def test_the_reference_request(reader):
    body = {"task_type": "coding", "complexity": "medium", "priority": "normal"}
    answer = recommend(reader, **body, estimated_tokens=2500)
    assert answer == {
        "recommended_model": "k2p5",
        "budget_available": True,
        "daily_budget": 50.0,
        "today_spend": 0.0,
        "budget_remaining": 50.0,
        "reason": "k2p5 is the first available preferred model for coding",
    }


@pytest.mark.parametrize(
    ("task_type", "model"),
    [
        ("architecture", "opus"),
        ("strategy", "opus"),
        ("complex_reasoning", "opus"),
        ("implementation", "sonnet"),
        ("documentation", "sonnet"),
        ("coding", "k2p5"),
        ("fast_coding", "minimax-m2.5"),
        ("api_integration", "codex"),
        ("specialized_coding", "codex"),
        ("ui_design", "sonnet"),
        ("business_analysis", "opus"),
        ("poetry", "sonnet"),
        ("", "sonnet"),
    ],
)
def test_each_task_type_takes_its_first_preferred_model(reader, task_type, model):
    assert recommend(reader, task_type=task_type)["recommended_model"] == model


def test_task_type_may_be_left_out(reader):
    answer = recommend(reader)
    assert answer["recommended_model"] == "sonnet"
    assert answer["reason"] == "sonnet is the first available preferred model for other task types"


def test_a_full_window_moves_to_the_next_preferred_model(reader):
    window_full("kimi-coding")
    answer = recommend(reader, task_type="coding")
    assert answer["recommended_model"] == "minimax-m2.5"


def test_an_open_breaker_moves_to_the_first_available_fallback(reader):
    breaker_open("anthropic")
    answer = recommend(reader, task_type="documentation")
    assert answer["recommended_model"] == "k2p5"  # sonnet → k2p5 in the catalogue's chain
    assert answer["reason"] == (
        "No preferred model for documentation is available; k2p5 is the first available "
        "fallback of sonnet"
    )


def test_a_disabled_model_is_not_recommended(reader):
    ModelAlias.objects.filter(pk="codex").update(enabled=False)
    assert recommend(reader, task_type="specialized_coding")["recommended_model"] == "sonnet"


def test_nothing_available_defaults_to_sonnet(reader):
    for provider in Provider.objects.values_list("id", flat=True):
        breaker_open(provider)
    answer = recommend(reader, task_type="coding")
    assert answer["recommended_model"] == "sonnet"
    assert answer["budget_available"] is True


def test_budget_pressure_downgrades_to_the_first_model_in_cost_order_that_fits(reader):
    budget_set(daily_budget=D("1"))
    budget_reserve(amount=D("0.99"))
    # opus: 0.015 × 1000 / 1000 = 0.015 > 0.01 left; k2p5: 0.001 fits.
    answer = recommend(reader, task_type="architecture", estimated_tokens=1000)
    assert answer["recommended_model"] == "k2p5"
    assert answer["budget_available"] is True
    assert (answer["daily_budget"], answer["today_spend"], answer["budget_remaining"]) == (
        1.0,
        0.0,
        0.01,
    )
    assert answer["reason"].startswith("opus would exceed the daily budget; k2p5 is the first")


def test_when_no_model_fits_the_first_available_in_cost_order_is_named(reader):
    budget_set(daily_budget=D("0"))
    window_full("kimi-coding")
    answer = recommend(reader, task_type="architecture")
    assert answer["recommended_model"] == "minimax-m2.5"  # k2p5's window is full
    assert answer["budget_available"] is False
    assert answer["reason"].startswith("No available model fits the daily budget")


def test_a_breaker_past_its_open_period_is_half_open_and_not_recommended(reader):
    Provider.objects.filter(pk="anthropic").update(
        breaker_state="open", breaker_opened_at=timezone.now() - timedelta(minutes=10)
    )
    assert recommend(reader, task_type="documentation")["recommended_model"] == "k2p5"


def test_a_form_body_is_accepted(reader):
    response = reader.post(
        "/api/orchestrator/recommend-model", {"task_type": "fast_coding", "estimated_tokens": "10"}
    )
    assert response.status_code == 200
    assert response.json()["recommended_model"] == "minimax-m2.5"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"estimated_tokens": -1}, "estimated_tokens"),
        ({"estimated_tokens": "many"}, "estimated_tokens"),
        ({"estimated_tokens": 10_000_001}, "estimated_tokens"),
        ({"complexity": "extreme"}, "complexity"),
        ({"priority": "urgent"}, "priority"),
        ({"task_type": "x" * 65}, "task_type"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(reader, body, field):
    response = reader.post("/api/orchestrator/recommend-model", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    assert field in error["details"]


def test_recommend_model_needs_agents_read(make_client):
    client = make_client(["billing:read"])
    assert client.post("/api/orchestrator/recommend-model", {}).status_code == 403

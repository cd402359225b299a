"""`GET /metrics` (semantics §9): Prometheus text read from the database at scrape time, the
admin scope or the scrape token, HTTP requests counted by route template, and the registry
other apps add their families to."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families

from agents.models import Agent, Provider
from billing.selectors import budget_status
from billing.services import budget_reserve, budget_set
from j1msky import metrics
from orchestrator.middleware import route_label
from tests.ledger import ledger_record, window_take
from tests.routes import api_routes

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def operator(make_client):
    return make_client(["admin:write"])


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    """`{(sample name, sorted labels): value}` of one scrape."""
    response = client.get("/api/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def values(samples, name: str, label: str) -> dict[str, float]:
    return {dict(labels)[label]: v for (n, labels), v in samples.items() if n == name}


def test_agents_by_status_and_model(operator, make_client):
    writer = make_client(["agents:write"])
    for model in ("k2p5", "k2p5", "sonnet"):
        assert writer.post("/api/spawn", {"task": "t", "model": model}).status_code == 201
    Agent.objects.filter(model_id="sonnet").update(status="failed")
    samples = scrape(operator)
    agents = {
        (dict(labels)["status"], dict(labels)["model"]): v
        for (name, labels), v in samples.items()
        if name == "j1msky_agents"
    }
    assert agents == {("spawning", "k2p5"): 2.0, ("failed", "sonnet"): 1.0}


def test_spend_calls_and_tokens_by_model_match_the_ledger(operator):
    for model, tokens in (("k2p5", 1000), ("k2p5", 3000), ("opus", 2000)):
        ledger_record(
            owner=None, api_key=None, model_alias=model, input_tokens=tokens, output_tokens=500
        )
    samples = scrape(operator)
    # k2p5: 0.00125 → 0.0013 and 0.00225 → 0.0023; opus: 0.03 + 0.0375 = 0.0675
    assert values(samples, "j1msky_ledger_spend_usd_total", "model") == {
        "k2p5": 0.0036,
        "opus": 0.0675,
    }
    assert values(samples, "j1msky_spend_today_usd", "model") == {"k2p5": 0.0036, "opus": 0.0675}
    assert values(samples, "j1msky_ledger_calls_total", "model") == {"k2p5": 2.0, "opus": 1.0}
    tokens = {
        (dict(labels)["model"], dict(labels)["direction"]): v
        for (name, labels), v in samples.items()
        if name == "j1msky_ledger_tokens_total"
    }
    assert tokens[("k2p5", "input")] == 4000 and tokens[("opus", "output")] == 500


def test_budget_and_provider_windows_as_the_api_reports_them(operator):
    budget_set(daily_budget=D("10"))
    budget_reserve(amount=D("7.5"))
    Provider.objects.filter(pk="openai-codex").update(hourly_limit=40)
    window_take(provider="openai-codex", n=30)
    samples = scrape(operator)
    status = budget_status()
    assert samples[("j1msky_budget_utilization_pct", ())] == float(status.budget_utilization_pct)
    assert samples[("j1msky_budget_utilization_pct", ())] == 75.0
    assert samples[("j1msky_budget_reserved_usd", ())] == 7.5
    assert samples[("j1msky_budget_remaining_usd", ())] == 2.5
    assert samples[("j1msky_budget_alert_level", (("level", "warning"),))] == 1.0
    assert samples[("j1msky_budget_alert_level", (("level", "ok"),))] == 0.0
    assert values(samples, "j1msky_provider_window_used", "provider")["openai-codex"] == 30
    assert values(samples, "j1msky_provider_window_limit", "provider")["openai-codex"] == 40
    utilization = values(samples, "j1msky_provider_window_utilization_pct", "provider")
    assert utilization["openai-codex"] == 75.0
    breaker = samples[
        ("j1msky_provider_breaker_state", (("provider", "anthropic"), ("state", "closed")))
    ]
    assert breaker == 1.0


def test_http_requests_are_counted_by_route_template_method_and_status(operator, make_client):
    reader = make_client(["agents:read"])
    before = scrape(operator)
    for _ in range(3):
        assert reader.get("/api/agent/subagent_1_0001").status_code == 404
    assert reader.get("/api/v1/agent/subagent_2_0002").status_code == 404
    assert reader.get("/api/orchestrator/status").status_code == 200
    assert reader.get("/api/metrics").status_code == 403
    assert reader.generic("BREW", "/api/orchestrator/status").status_code == 405
    assert reader.get("/api/no/such/route/42").status_code == 404
    assert reader.get("/static/rest_framework/css/bootstrap.min.css").status_code == 200
    after = scrape(operator)

    def counted(route, method, status):
        key = (
            "j1msky_http_requests_total",
            (("method", method), ("route", route), ("status", str(status))),
        )
        return after.get(key, 0) - before.get(key, 0)

    assert counted("/agent/{agent_id}", "GET", 404) == 4  # both base paths, no ids in labels
    assert counted("/orchestrator/status", "GET", 200) == 1
    assert counted("/metrics", "GET", 403) == 1
    assert counted("/metrics", "GET", 200) == 1  # the first scrape, stored before this one
    assert counted("/orchestrator/status", "OTHER", 405) == 1
    assert counted("unmatched", "GET", 404) == 1
    assert counted("/static", "GET", 200) == 1


def test_every_api_route_has_a_label_without_ids():
    labels = {route_label(route.removeprefix("/")) for route, _, _ in api_routes()}
    assert "/agent/{agent_id}" in labels and "/metrics" in labels
    assert all("<" not in label and "(" not in label for label in labels)


def test_metrics_are_admin_scoped(make_client, anon_client):
    reader = make_client(["agents:read", "billing:read"])
    refused = reader.get("/api/metrics", HTTP_ACCEPT="text/plain")
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["error"]["type"] == "insufficient_scope"
    assert anon_client.get("/api/metrics").status_code == 401


def test_the_scrape_token_reads_metrics_and_nothing_else(anon_client, settings):
    settings.J1MSKY_METRICS_TOKEN = "scrape-token-for-tests"
    good = {"HTTP_AUTHORIZATION": "Bearer scrape-token-for-tests"}
    assert ("j1msky_budget_daily_usd", ()) in scrape(anon_client, **good)
    assert anon_client.get("/api/system", **good).status_code == 401
    assert anon_client.get("/api/orchestrator/status", **good).status_code == 401
    wrong = anon_client.get("/api/metrics", HTTP_AUTHORIZATION="Bearer scrape-token-for-test")
    assert wrong.status_code == 401
    settings.J1MSKY_METRICS_TOKEN = ""
    assert anon_client.get("/api/metrics", **good).status_code == 401


def test_families_registered_by_other_apps_are_served_and_a_failing_one_is_left_out(
    operator, monkeypatch
):
    monkeypatch.setattr(metrics, "_families", list(metrics.metric_families()))

    def deliveries():
        family = GaugeMetricFamily("j1msky_test_deliveries", "test", labels=["outcome"])
        family.add_metric(["delivered"], 7)
        return [family]

    def broken():
        raise RuntimeError("table missing")

    metrics.metric_families_register("test-deliveries", deliveries)
    metrics.metric_families_register("test-broken", broken)
    samples = scrape(operator)
    assert samples[("j1msky_test_deliveries", (("outcome", "delivered"),))] == 7.0
    failed = values(samples, "j1msky_metrics_source_failed", "source")
    assert failed["test-broken"] == 1.0 and failed["orchestrator"] == 0.0
    assert ("j1msky_budget_daily_usd", ()) in samples

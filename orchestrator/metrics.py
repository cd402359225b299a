"""The orchestrator's metric families (semantics §9), read from the database at scrape time.

Registered with `j1msky.metrics` by the AppConfig; `GET /metrics` serves them with every other
app's. Nothing scans the ledger: spend, calls and tokens come from the (day, model) rollup.
Money is exact until here and becomes a Prometheus float only in the text it is written to.

| family | type | labels |
|---|---|---|
| `j1msky_agents` | gauge | status, model |
| `j1msky_ledger_calls_total`, `j1msky_ledger_spend_usd_total` | counter | model |
| `j1msky_ledger_tokens_total` | counter | model, direction (input, output) |
| `j1msky_spend_today_usd` | gauge | model (today's budget day) |
| `j1msky_budget_daily_usd`, `…_today_spend_usd`, `…_reserved_usd` | gauge | |
| `j1msky_budget_remaining_usd`, `j1msky_budget_utilization_pct` | gauge | |
| `j1msky_budget_alert_level` | gauge (1 for the current level) | level |
| `j1msky_provider_window_used`, `_limit`, `_utilization_pct` | gauge | provider |
| `j1msky_provider_breaker_state` | gauge (1 for the current state) | provider, state |
| `j1msky_http_requests_total` | counter | route, method, status |
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from agents.catalogue import breaker_reported_state
from agents.models import Agent, Provider
from billing.selectors import budget_status, ledger_model_totals, provider_window_list
from j1msky.metrics import metric_families
from orchestrator import rules
from orchestrator.models import HttpRequestCount

logger = logging.getLogger(__name__)

BREAKER_STATES = ("closed", "half_open", "open")
# The text format `generate_latest` writes (Prometheus exposition format 0.0.4).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def _agents() -> Iterator[Metric]:
    family = GaugeMetricFamily(
        "j1msky_agents", "Agents by status and model", labels=["status", "model"]
    )
    rows = (
        Agent.objects.order_by("status", "model_id")
        .values_list("status", "model_id")
        .annotate(n=Count("pk"))
    )
    for status, model, n in rows:
        family.add_metric([status, model], n)
    yield family


def _ledger(now) -> Iterator[Metric]:
    calls = CounterMetricFamily("j1msky_ledger_calls", "Provider calls recorded", labels=["model"])
    spend = CounterMetricFamily(
        "j1msky_ledger_spend_usd", "Spend recorded in the ledger (USD)", labels=["model"]
    )
    tokens = CounterMetricFamily(
        "j1msky_ledger_tokens", "Tokens recorded in the ledger", labels=["model", "direction"]
    )
    for row in ledger_model_totals():
        calls.add_metric([row.model], row.calls)
        spend.add_metric([row.model], float(row.cost))
        tokens.add_metric([row.model, "input"], row.input_tokens)
        tokens.add_metric([row.model, "output"], row.output_tokens)
    today = GaugeMetricFamily(
        "j1msky_spend_today_usd", "Spend of today's budget day (USD)", labels=["model"]
    )
    for row in ledger_model_totals(day=budget_status(now=now).day):
        today.add_metric([row.model], float(row.cost))
    yield from (calls, spend, tokens, today)


def _budget(now) -> Iterator[Metric]:
    status = budget_status(now=now)
    for name, text, value in (
        ("daily_usd", "The daily budget in force (USD)", status.daily_budget),
        ("today_spend_usd", "Settled spend today (USD)", status.today_spend),
        ("reserved_usd", "Open reservations today (USD)", status.reserved),
        ("remaining_usd", "max(budget - spend - reserved, 0) (USD)", status.budget_remaining),
        ("utilization_pct", "(spend + reserved) / budget x 100", status.budget_utilization_pct),
    ):
        yield GaugeMetricFamily(f"j1msky_budget_{name}", text, value=float(value))
    current = rules.budget_alert_level(status.budget_utilization_pct)
    level = GaugeMetricFamily(
        "j1msky_budget_alert_level", "1 for the current budget alert level", labels=["level"]
    )
    for candidate in rules.AlertLevel:
        level.add_metric([str(candidate)], 1 if candidate == current else 0)
    yield level


def _providers(now) -> Iterator[Metric]:
    providers = list(Provider.objects.order_by("position", "id"))
    windows = provider_window_list(providers=[(p.id, p.hourly_limit) for p in providers], now=now)
    used = GaugeMetricFamily(
        "j1msky_provider_window_used", "Calls in the current hourly window", labels=["provider"]
    )
    limit = GaugeMetricFamily(
        "j1msky_provider_window_limit", "Hourly call limit", labels=["provider"]
    )
    pct = GaugeMetricFamily(
        "j1msky_provider_window_utilization_pct", "Window use (%)", labels=["provider"]
    )
    for window in windows:
        used.add_metric([window.provider], window.used)
        limit.add_metric([window.provider], window.limit)
        pct.add_metric([window.provider], float(window.utilization_pct))
    breaker = GaugeMetricFamily(
        "j1msky_provider_breaker_state",
        "1 for the provider's current circuit breaker state",
        labels=["provider", "state"],
    )
    for provider in providers:
        state = breaker_reported_state(provider, now=now)
        for candidate in BREAKER_STATES:
            breaker.add_metric([provider.id, candidate], 1 if candidate == state else 0)
    yield from (used, limit, pct, breaker)


def _http() -> Iterator[Metric]:
    family = CounterMetricFamily(
        "j1msky_http_requests",
        "HTTP requests answered, by route template, method and status",
        labels=["route", "method", "status"],
    )
    rows = HttpRequestCount.objects.order_by("route", "method", "status").values_list(
        "route", "method", "status", "count"
    )
    for route, method, status, count in rows:
        family.add_metric([route, method, str(status)], count)
    yield family


def orchestrator_metric_families() -> Iterator[Metric]:
    now = timezone.now()
    yield from _agents()
    yield from _ledger(now)
    yield from _budget(now)
    yield from _providers(now)
    yield from _http()


# --- the scrape ----------------------------------------------------------------------------------


class _RegisteredFamilies:
    """Every app's registered families; one whose reading fails is left out and counted."""

    def collect(self) -> Iterator[Metric]:
        failed = GaugeMetricFamily(
            "j1msky_metrics_source_failed",
            "1 when a source of metrics failed to read this scrape (its families are missing)",
            labels=["source"],
        )
        for name, families in metric_families():
            try:
                collected = list(families())
            except Exception:
                logger.exception("metrics of %s could not be read", name)
                failed.add_metric([name], 1)
                continue
            failed.add_metric([name], 0)
            yield from collected
        yield failed


def metrics_scrape() -> bytes:
    """The Prometheus text of every registered family, after this process's request counts
    reach the database (so a single process reports its own requests exactly)."""
    from orchestrator.middleware import request_counts

    request_counts.flush()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_RegisteredFamilies())
    return generate_latest(registry)

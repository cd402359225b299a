"""The metric families `GET /metrics` serves, contributed by the apps (semantics §9).

Each app registers, from its AppConfig, a function that reads what it owns from the database
and returns Prometheus metric families (`prometheus_client.core.GaugeMetricFamily`,
`CounterMetricFamily`, …). The orchestrator serves them all at scrape time, so every web process
reports the same numbers and no app needs to import the one that serves them (the webhooks app
registers its deliveries by outcome this way).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.core import Metric

MetricFamilies = Callable[[], Iterable[Metric]]
_families: list[tuple[str, MetricFamilies]] = []


def metric_families_register(name: str, families: MetricFamilies) -> None:
    """Serve what `families()` returns on every scrape; `name` says whose they are (a second
    registration under the same name replaces the first)."""
    _families[:] = [(n, f) for n, f in _families if n != name]
    _families.append((name, families))


def metric_families() -> list[tuple[str, MetricFamilies]]:
    """The registered `(name, families)` pairs, in registration order."""
    return list(_families)

"""The webhooks' metric families for `GET /metrics` (registered in `WebhooksConfig.ready`)."""

from __future__ import annotations

from prometheus_client.core import GaugeMetricFamily

from webhooks.models import Delivery, WebhookEndpoint
from webhooks.selectors import delivery_counts


def webhook_metric_families():
    deliveries = GaugeMetricFamily(
        "j1msky_webhook_deliveries",
        "Deliveries in the delivery log by endpoint kind and status (delivered and failed ones "
        "until J1MSKY_WEBHOOK_LOG_RETENTION_DAYS purges them).",
        labels=["kind", "status"],
    )
    counts = {(kind, status): n for kind, status, n in delivery_counts()}
    for kind in WebhookEndpoint.Kind.values:
        for status in Delivery.Status.values:
            deliveries.add_metric([kind, status], counts.get((kind, status), 0))
    return [deliveries]

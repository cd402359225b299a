"""Reads: an owner's endpoints and deliveries; who subscribes to an event."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from j1msky.models import Event
from webhooks.errors import DeliveryNotFound, WebhookNotFound
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint

# Events about a setting every owner shares (the day's budget, the pricing policy): they reach
# every endpoint subscribed to them, whoever's change caused them. Events without an owner too.
SYSTEM_WIDE_EVENTS = frozenset(
    {"pricing.budget_warning", "pricing.budget_critical", "pricing.policy_changed"}
)
# Endpoints that take new deliveries (a paused one holds them until it resumes).
LIVE_STATUSES = (WebhookEndpoint.Status.ACTIVE, WebhookEndpoint.Status.PAUSED)


def webhook_list(*, owner, kind: str) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner, kind=kind).order_by("-created_at", "-pk")


def webhook_get(*, owner, kind: str, webhook_id: str) -> WebhookEndpoint:
    endpoint = webhook_list(owner=owner, kind=kind).filter(webhook_id=webhook_id).first()
    if endpoint is None:
        raise WebhookNotFound(webhook_id)
    return endpoint


def webhook_count(*, owner) -> int:
    return WebhookEndpoint.objects.filter(owner=owner).count()


def _with_attempts(deliveries: QuerySet[Delivery]) -> QuerySet[Delivery]:
    attempts = DeliveryAttempt.objects.order_by("number")
    return deliveries.select_related("endpoint").prefetch_related(
        Prefetch("attempts", queryset=attempts)
    )


def delivery_list(*, owner, kind: str, webhook_id: str) -> QuerySet[Delivery]:
    """An endpoint's delivery log, newest first, each with its attempts (empty for an
    endpoint that is not the owner's: `webhook_get` tells that apart)."""
    deliveries = Delivery.objects.filter(
        endpoint__owner=owner, endpoint__kind=kind, endpoint__webhook_id=webhook_id
    )
    return _with_attempts(deliveries).order_by("-created_at", "-pk")


def delivery_get(*, owner, delivery_id: str) -> Delivery:
    """One of the owner's deliveries (either kind of endpoint), with its attempts."""
    delivery = (
        _with_attempts(Delivery.objects.filter(endpoint__owner=owner))
        .filter(delivery_id=delivery_id)
        .first()
    )
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    return delivery


def endpoints_subscribed(*, event_type: str, owner_id: int | None) -> QuerySet[WebhookEndpoint]:
    """Live endpoints that may want an event of this type and owner (their `events` still
    to be checked: a JSON list the databases cannot search alike)."""
    endpoints = WebhookEndpoint.objects.filter(status__in=LIVE_STATUSES)
    if owner_id is not None and event_type not in SYSTEM_WIDE_EVENTS:
        endpoints = endpoints.filter(owner_id=owner_id)
    return endpoints


def event_has_subscribers(*, event: Event) -> bool:
    """Whether a live endpoint subscribes to `event` (one small indexed query)."""
    endpoints = endpoints_subscribed(event_type=event.type, owner_id=event.owner_id)
    return any(
        event.type in events and event.pk > after
        for events, after in endpoints.values_list("events", "events_after_id")
    )


def endpoint_receives(endpoint: WebhookEndpoint, *, event_type: str, owner_id, event_id) -> bool:
    """The fan-out rule: subscribed, created before the event, and the event is the endpoint
    owner's or about a setting every owner shares."""
    return (
        event_type in endpoint.events
        and event_id > endpoint.events_after_id
        and (owner_id is None or owner_id == endpoint.owner_id or event_type in SYSTEM_WIDE_EVENTS)
    )


def delivery_counts() -> list[tuple[str, str, int]]:
    """`(kind, status, count)` of the deliveries in the log (delivered and failed ones until
    they are purged), for the metrics."""
    rows = (
        Delivery.objects.values_list("endpoint__kind", "status")
        .annotate(n=Count("pk"))
        .order_by("endpoint__kind", "status")
    )
    return [(kind, status, n) for kind, status, n in rows]


def endpoints_failing(*, limit: int = 10) -> list[WebhookEndpoint]:
    """Endpoints in trouble (the operations dashboard): disabled ones, and those with deliveries
    that failed for good or are retrying after a failure; each carries `failed_deliveries`,
    `retrying_deliveries` and `last_status_code` (its latest delivery's). Most failures first."""
    failed = Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED))
    retrying = Count(
        "deliveries",
        filter=Q(deliveries__status=Delivery.Status.PENDING, deliveries__failures__gt=0),
    )
    latest = Delivery.objects.filter(endpoint=OuterRef("pk")).order_by("-created_at", "-pk")
    return list(
        WebhookEndpoint.objects.select_related("owner")
        .annotate(
            failed_deliveries=failed,
            retrying_deliveries=retrying,
            last_status_code=Subquery(latest.values("last_status_code")[:1]),
        )
        .filter(
            Q(status=WebhookEndpoint.Status.DISABLED)
            | Q(failed_deliveries__gt=0)
            | Q(retrying_deliveries__gt=0)
        )
        .order_by("-failed_deliveries", "-retrying_deliveries", "webhook_id")[:limit]
    )

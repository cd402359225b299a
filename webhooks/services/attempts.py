"""Attempts: claim due deliveries, prepare each signed request, record results, and recover the
claims of workers that died mid-attempt.

A claim is a compare-and-set on the delivery row (`claim_token` empty → ours, with a lease in
`claimed_until`), so two workers never send one delivery at once; recording needs the same
token, so a worker whose claim lapsed and was recovered records nothing. A worker that dies
mid-attempt leaves its claim to lapse: `deliveries_recover` logs the attempt as interrupted and
makes the delivery due again. The receiver may then see the message twice, with the same
`webhook-id` (at least once, never lost).
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet

from webhooks.conf import RESPONSE_EXCERPT_BYTES, claim_lease
from webhooks.http import DeliveryResult
from webhooks.models import Delivery, DeliveryAttempt, WebhookEndpoint
from webhooks.payload import payload_body, payload_build
from webhooks.schedule import next_attempt_at
from webhooks.services.endpoints import webhook_disable
from webhooks.signing import signature_compute, signature_headers

INTERRUPTED = "interrupted: the worker stopped before it recorded a result"


@dataclass(frozen=True)
class Outgoing:
    """One attempt, ready to send: the signed request and the claim it is made under."""

    delivery_pk: int
    claim_token: str
    url: str
    body: bytes
    headers: dict[str, str]
    started_at: datetime


def _due(now: datetime) -> QuerySet[Delivery]:
    """Unclaimed deliveries whose attempt is due, of active endpoints (a test event is sent to
    an endpoint in any state), first due first."""
    return (
        Delivery.objects.filter(
            status=Delivery.Status.PENDING, claim_token="", next_attempt_at__lte=now
        )
        .filter(Q(endpoint__status=WebhookEndpoint.Status.ACTIVE) | Q(event__isnull=True))
        .order_by("next_attempt_at", "pk")
    )


def deliveries_claim(*, limit: int, now: datetime, lease: timedelta) -> list[Delivery]:
    """Claim up to `limit` due deliveries (compare-and-set on each row's empty token), with
    their endpoint and event loaded."""
    candidates = list(_due(now).select_related("endpoint", "event")[:limit])
    if not candidates:
        return []
    token = secrets.token_hex(16)
    pks = [delivery.pk for delivery in candidates]
    with transaction.atomic():
        won = Delivery.objects.filter(
            pk__in=pks, claim_token="", status=Delivery.Status.PENDING
        ).update(claim_token=token, claimed_until=now + lease)
    if won < len(candidates):  # another worker took some in between: keep only ours
        ours = set(
            Delivery.objects.filter(pk__in=pks, claim_token=token).values_list("pk", flat=True)
        )
        candidates = [delivery for delivery in candidates if delivery.pk in ours]
    for delivery in candidates:
        delivery.claim_token, delivery.claimed_until = token, now + lease
    return candidates


def delivery_outgoing(delivery: Delivery, *, now: datetime) -> Outgoing:
    """The signed request of one attempt: the same body every time, signed at `now` with the
    endpoint's secret (and the previous one during a rotation's grace)."""
    endpoint = delivery.endpoint
    if delivery.event is not None:
        occurred_at, data = delivery.event.created_at, delivery.event.data
    else:
        occurred_at, data = delivery.created_at, delivery.test_data or {}
    body = payload_body(
        payload_build(
            event_type=delivery.event_type,
            occurred_at=occurred_at,
            webhook_id=endpoint.webhook_id,
            data=data,
        )
    )
    stamp = int(now.timestamp())
    current, *previous = endpoint.signing_secrets(now)
    headers = signature_headers(
        secret=current, message_id=delivery.message_id, timestamp=stamp, body=body
    )
    for secret in previous:
        extra = signature_compute(
            secret=secret, message_id=delivery.message_id, timestamp=stamp, body=body
        )
        headers["webhook-signature"] += f" {extra}"
    headers["Content-Type"] = "application/json"
    return Outgoing(delivery.pk, delivery.claim_token, endpoint.url, body, headers, now)


def _clean(text: str, limit: int) -> str:
    """Text a database column takes (PostgreSQL refuses NUL), cut to `limit` characters."""
    return text.replace("\x00", "\ufffd")[:limit]


@transaction.atomic
def delivery_attempts_record(
    outcomes: Sequence[tuple[Outgoing, DeliveryResult]],
    *,
    now: datetime,
    retry_now: bool = False,
    rand: Callable[[], float] = random.random,
) -> int:
    """Log each attempt and settle its delivery under the claim it was made with: delivered,
    due again per the schedule (at once when `retry_now`), or failed for good, disabling the
    endpoint after a `410` or the last retry. One transaction for them all; an attempt whose
    claim is gone (endpoint deleted, claim lapsed and recovered) is dropped. Returns how many
    were recorded."""
    rows = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("endpoint")
        .defer("test_data", "endpoint__secret", "endpoint__previous_secret")
        .filter(pk__in=[outgoing.delivery_pk for outgoing, _ in outcomes])
    )
    by_pk = {delivery.pk: delivery for delivery in rows}
    attempts: list[DeliveryAttempt] = []
    settled: dict[tuple, list[int]] = defaultdict(list)  # the same new values -> deliveries
    disables: dict[int, tuple[WebhookEndpoint, str]] = {}
    for outgoing, result in outcomes:
        delivery = by_pk.get(outgoing.delivery_pk)
        if delivery is None or delivery.claim_token != outgoing.claim_token:
            continue
        failures = delivery.failures + (0 if result.delivered else 1)
        next_at, disable = _outcome(delivery, result, failures, now, retry_now, rand)
        if disable:
            disables[delivery.endpoint_id] = (delivery.endpoint, disable)
        attempts.append(_attempt(delivery, outgoing, result, next_at))
        settled[(_status_after(result, next_at), result.status_code, next_at)].append(delivery.pk)
    DeliveryAttempt.objects.bulk_create(attempts)
    for (status, status_code, next_at), pks in settled.items():
        delivered = status == Delivery.Status.DELIVERED
        Delivery.objects.filter(pk__in=pks).update(
            status=status,
            attempt_count=F("attempt_count") + 1,
            failures=F("failures") + (0 if delivered else 1),
            next_attempt_at=next_at,
            claim_token="",
            claimed_until=None,
            last_status_code=status_code,
            delivered_at=now if delivered else None,
        )
    for endpoint, reason in disables.values():
        webhook_disable(endpoint=endpoint, reason=reason, now=now)
    return len(attempts)


def _status_after(result: DeliveryResult, next_at: datetime | None) -> str:
    if result.delivered:
        return Delivery.Status.DELIVERED
    return Delivery.Status.PENDING if next_at else Delivery.Status.FAILED


def _attempt(delivery, outgoing, result, next_at) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery=delivery,
        number=delivery.attempt_count + 1,
        started_at=outgoing.started_at,
        duration_ms=max(result.duration_ms, 0),
        status_code=result.status_code,
        response_excerpt=_clean(result.excerpt, RESPONSE_EXCERPT_BYTES),
        error=_clean(result.error, 500),
        address=result.address[:64],
        next_retry_at=next_at,
    )


def _outcome(
    delivery: Delivery,
    result: DeliveryResult,
    failures: int,
    now: datetime,
    retry_now: bool,
    rand: Callable[[], float],
) -> tuple[datetime | None, str]:
    """(when the next attempt is due or None, why the endpoint is disabled or "")."""
    if result.delivered or delivery.is_test:
        return None, ""  # a test event is tried once and never disables its endpoint
    if result.status_code == 410:
        return None, "the endpoint answered 410 Gone"
    if delivery.endpoint.status == WebhookEndpoint.Status.DISABLED:
        return None, ""
    next_at = next_attempt_at(now, failures, rand=rand)
    if next_at is None:
        return None, f"{failures} attempts in a row failed (last: {_last_words(result)})"
    return (now if retry_now else next_at), ""


def _last_words(result: DeliveryResult) -> str:
    return f"HTTP {result.status_code}" if result.status_code else (result.error[:120] or "?")


def deliveries_recover(*, now: datetime, limit: int = 500) -> int:
    """Deliveries whose claim lapsed (their worker died or hung mid-attempt): log the attempt
    as interrupted and make them due at once (the failure counts toward the schedule's end)."""
    lease = claim_lease()
    lapsed = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, claimed_until__lt=now)
        .exclude(claim_token="")
        .values_list("pk", "claim_token", "claimed_until")[:limit]
    )
    outcomes = [
        (Outgoing(pk, token, "", b"", {}, until - lease), DeliveryResult(None, 0, "", INTERRUPTED))
        for pk, token, until in lapsed
    ]
    if outcomes:
        delivery_attempts_record(outcomes, now=now, retry_now=True)
    return len(outcomes)

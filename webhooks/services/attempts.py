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
from typing import Any, NamedTuple

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


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker claimed, with what its request is made of. Its endpoint is read
    once per claim, however many of the claimed deliveries go to it (one secret to unseal)."""

    pk: int
    claim_token: str
    endpoint: WebhookEndpoint
    event_type: str
    message_id: str
    occurred_at: datetime
    data: dict[str, Any]


_CLAIMED_FIELDS = (
    "pk",
    "endpoint_id",
    "event_id",
    "event_type",
    "message_id",
    "created_at",
    "test_data",
    "event__created_at",
    "event__data",
)
_ENDPOINT_FIELDS = ("webhook_id", "url", "secret", "previous_secret", "previous_secret_expires_at")


def deliveries_claim(*, limit: int, now: datetime, lease: timedelta) -> list[Claimed]:
    """Claim up to `limit` due deliveries (compare-and-set on each row's empty token), each with
    its event's data and its endpoint."""
    candidates = list(_due(now).values_list(*_CLAIMED_FIELDS)[:limit])
    if not candidates:
        return []
    token = secrets.token_hex(16)
    pks = [row[0] for row in candidates]
    won = Delivery.objects.filter(
        pk__in=pks, claim_token="", status=Delivery.Status.PENDING
    ).update(claim_token=token, claimed_until=now + lease)  # one statement: atomic on its own
    if won < len(candidates):  # another worker took some in between: keep only ours
        ours = set(
            Delivery.objects.filter(pk__in=pks, claim_token=token).values_list("pk", flat=True)
        )
        candidates = [row for row in candidates if row[0] in ours]
    endpoints = WebhookEndpoint.objects.only(*_ENDPOINT_FIELDS).in_bulk(
        {row[1] for row in candidates}
    )
    claimed = []
    for (
        pk,
        endpoint_id,
        event_id,
        event_type,
        message_id,
        created_at,
        test_data,
        *event,
    ) in candidates:
        endpoint = endpoints.get(endpoint_id)
        if endpoint is None:  # deleted since, with its deliveries: nothing left to send
            continue
        occurred_at, data = event if event_id is not None else (created_at, test_data or {})
        claimed.append(Claimed(pk, token, endpoint, event_type, message_id, occurred_at, data))
    return claimed


def delivery_outgoing(delivery: Claimed, *, now: datetime) -> Outgoing:
    """The signed request of one attempt: the same body every time, signed at `now` with the
    endpoint's secret (and the previous one during a rotation's grace)."""
    endpoint = delivery.endpoint
    body = payload_body(
        payload_build(
            event_type=delivery.event_type,
            occurred_at=delivery.occurred_at,
            webhook_id=endpoint.webhook_id,
            data=delivery.data,
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


class _Locked(NamedTuple):
    """What recording needs of a delivery row (locked on PostgreSQL until the commit)."""

    pk: int
    claim_token: str
    attempt_count: int
    failures: int
    event_id: int | None
    endpoint_id: int
    endpoint_status: str


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
        .filter(pk__in=[outgoing.delivery_pk for outgoing, _ in outcomes])
        .values_list(*_Locked._fields[:-1], "endpoint__status")
    )
    by_pk = {row[0]: _Locked(*row) for row in rows}
    attempts: list[DeliveryAttempt] = []
    settled: dict[tuple, list[int]] = defaultdict(list)  # the same new values -> deliveries
    disables: dict[int, str] = {}  # endpoint id -> why
    for outgoing, result in outcomes:
        delivery = by_pk.get(outgoing.delivery_pk)
        if delivery is None or delivery.claim_token != outgoing.claim_token:
            continue
        failures = delivery.failures + (0 if result.delivered else 1)
        next_at, disable = _outcome(delivery, result, failures, now, retry_now, rand)
        if disable:
            disables[delivery.endpoint_id] = disable
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
    if disables:
        for endpoint in WebhookEndpoint.objects.filter(pk__in=disables).order_by("pk"):
            webhook_disable(endpoint=endpoint, reason=disables[endpoint.pk], now=now)
    return len(attempts)


def _status_after(result: DeliveryResult, next_at: datetime | None) -> str:
    if result.delivered:
        return Delivery.Status.DELIVERED
    return Delivery.Status.PENDING if next_at else Delivery.Status.FAILED


def _attempt(delivery: _Locked, outgoing, result, next_at) -> DeliveryAttempt:
    return DeliveryAttempt(
        delivery_id=delivery.pk,
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
    delivery: _Locked,
    result: DeliveryResult,
    failures: int,
    now: datetime,
    retry_now: bool,
    rand: Callable[[], float],
) -> tuple[datetime | None, str]:
    """(when the next attempt is due or None, why the endpoint is disabled or "")."""
    if result.delivered or delivery.event_id is None:
        return None, ""  # a test event is tried once and never disables its endpoint
    if result.status_code == 410:
        return None, "the endpoint answered 410 Gone"
    if delivery.endpoint_status == WebhookEndpoint.Status.DISABLED:
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

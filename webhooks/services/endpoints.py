"""Endpoints: register (URL guarded, events known, secret shown once), pause, resume, rotate the
secret, delete, and disable after a 410 or a final failure. Each change is audited."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from j1msky.events import event_types
from j1msky.models import Event
from security.services import audit_record
from webhooks.conf import ssrf_policy
from webhooks.errors import (
    UnknownEventType,
    WebhookLimitReached,
    WebhookSecretInvalid,
    WebhookStateConflict,
    WebhookUrlRefused,
)
from webhooks.messages import deliver_message_on_commit
from webhooks.models import Delivery, WebhookEndpoint, new_webhook_id
from webhooks.signing import secret_generate, secret_key_bytes
from webhooks.ssrf import Resolver, UrlRefused, url_check

MAX_ENDPOINTS_PER_OWNER = 50
MIN_SECRET_BYTES = 16
MAX_SECRET_LENGTH = 256

Status = WebhookEndpoint.Status


def event_types_for(kind: str) -> list[str]:
    """The known event types an endpoint of `kind` may subscribe to: `pricing.*` for pricing
    webhooks, every other type for agent webhooks."""
    pricing = kind == WebhookEndpoint.Kind.PRICING
    return sorted(t for t in event_types() if t.startswith("pricing.") == pricing)


def event_types_checked(kind: str, events: Iterable[str]) -> list[str]:
    """`events` without repeats, in order; UnknownEventType naming any this kind cannot take."""
    allowed = event_types_for(kind)
    wanted = list(dict.fromkeys(events))
    unknown = [e for e in wanted if e not in allowed]
    if unknown:
        raise UnknownEventType(unknown, allowed)
    return wanted


def webhook_url_checked(url: str, *, resolver: Resolver = socket.getaddrinfo) -> str:
    """`url` if the SSRF guard passes it now (resolving its host once); else WebhookUrlRefused."""
    try:
        url_check(url, policy=ssrf_policy(), resolver=resolver)
    except UrlRefused as exc:
        raise WebhookUrlRefused(exc.reason) from None
    return url


def secret_checked(secret: str | None) -> str:
    """A new `whsec_` secret when none is given; else the given one if it makes a usable key."""
    if secret is None:
        return secret_generate()
    if len(secret) > MAX_SECRET_LENGTH:
        raise WebhookSecretInvalid(f"at most {MAX_SECRET_LENGTH} characters")
    try:
        key = secret_key_bytes(secret)
    except ValueError as exc:
        raise WebhookSecretInvalid(str(exc)) from None
    if len(key) < MIN_SECRET_BYTES:
        raise WebhookSecretInvalid(f"must carry at least {MIN_SECRET_BYTES} bytes")
    return secret


def _audit(
    event: str,
    endpoint: WebhookEndpoint,
    *,
    api_key=None,
    actor: str = "",
    severity: str = "info",
    details: dict | None = None,
) -> None:
    audit_record(
        event=event,
        owner=endpoint.owner,
        api_key=api_key,
        actor=actor,
        severity=severity,
        resource_type="webhook",
        resource_id=endpoint.webhook_id,
        details={"kind": endpoint.kind, **(details or {})},
    )


@transaction.atomic
def webhook_create(
    *,
    owner,
    kind: str,
    url: str,
    events: Iterable[str],
    secret: str | None = None,
    api_key=None,
    resolver: Resolver = socket.getaddrinfo,
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret (the only time the secret is shown).

    It receives the events committed after it, not the history before it."""
    events = event_types_checked(kind, events)
    secret = secret_checked(secret)
    webhook_url_checked(url, resolver=resolver)
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_OWNER:
        raise WebhookLimitReached(MAX_ENDPOINTS_PER_OWNER)
    endpoint = WebhookEndpoint.objects.create(
        webhook_id=new_webhook_id(kind),
        kind=kind,
        owner=owner,
        url=url,
        events=events,
        secret=secret,
        events_after_id=Event.objects.aggregate(last=Max("id"))["last"] or 0,
        created_at=now or timezone.now(),
        created_by_key_id=getattr(api_key, "key_id", ""),
    )
    _audit("webhook.created", endpoint, api_key=api_key, details={"url": url, "events": events})
    return endpoint, secret


@transaction.atomic
def webhook_delete(*, endpoint: WebhookEndpoint, api_key=None, actor: str = "") -> None:
    """Remove the endpoint with its delivery log; an attempt in flight records nothing."""
    _audit("webhook.deleted", endpoint, api_key=api_key, actor=actor, details={"url": endpoint.url})
    endpoint.delete()


def _status_set(endpoint: WebhookEndpoint, *, frm: Iterable[str], to: str, reason: str, now):
    """Compare-and-set of the endpoint's status; True when this call made the change."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, status__in=list(frm)).update(
        status=to, status_reason=reason, status_changed_at=now
    )
    endpoint.refresh_from_db()
    return bool(changed)


@transaction.atomic
def webhook_pause(*, endpoint: WebhookEndpoint, api_key=None, actor: str = "") -> WebhookEndpoint:
    """Hold deliveries (they are still created) until the endpoint resumes."""
    if endpoint.status == Status.DISABLED:
        raise WebhookStateConflict(f"Webhook {endpoint.webhook_id} is disabled; resume it first")
    now = timezone.now()
    if _status_set(endpoint, frm=[Status.ACTIVE], to=Status.PAUSED, reason="", now=now):
        _audit("webhook.paused", endpoint, api_key=api_key, actor=actor)
    return endpoint


@transaction.atomic
def webhook_resume(*, endpoint: WebhookEndpoint, api_key=None, actor: str = "") -> WebhookEndpoint:
    """Active again: held deliveries go out at once. A disabled endpoint's failed deliveries
    stay failed (replay them one by one)."""
    was = endpoint.status
    now = timezone.now()
    held = [Status.PAUSED, Status.DISABLED]
    if _status_set(endpoint, frm=held, to=Status.ACTIVE, reason="", now=now):
        _audit("webhook.resumed", endpoint, api_key=api_key, actor=actor, details={"was": was})
        deliver_message_on_commit()
    return endpoint


@transaction.atomic
def webhook_secret_rotate(
    *,
    endpoint: WebhookEndpoint,
    secret: str | None = None,
    grace_hours: int = 24,
    api_key=None,
    now: datetime | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new secret (shown once). For `grace_hours` every delivery is signed with both, so the
    receiver can switch without rejecting anything."""
    now = now or timezone.now()
    new_secret = secret_checked(secret)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret if grace_hours else None
    endpoint.previous_secret_expires_at = (
        now + timedelta(hours=grace_hours) if grace_hours else None
    )
    endpoint.secret = new_secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    _audit(
        "webhook.secret_rotated", endpoint, api_key=api_key, details={"grace_hours": grace_hours}
    )
    return endpoint, new_secret


@transaction.atomic
def webhook_disable(*, endpoint: WebhookEndpoint, reason: str, now: datetime | None = None) -> bool:
    """Disable after a `410 Gone` or a final failure: its waiting deliveries fail, nothing new
    is created for it, the audit log says why (actor `system`). Emits no event (a webhook about
    a webhook could disable itself). False when it was not live any more."""
    now = now or timezone.now()
    live = [Status.ACTIVE, Status.PAUSED]
    if not _status_set(endpoint, frm=live, to=Status.DISABLED, reason=reason[:300], now=now):
        return False
    Delivery.objects.filter(
        endpoint=endpoint, status=Delivery.Status.PENDING, event__isnull=False, claim_token=""
    ).update(status=Delivery.Status.FAILED, next_attempt_at=None)
    _audit(
        "webhook.disabled",
        endpoint,
        actor="system",
        severity="warning",
        details={"reason": reason, "url": endpoint.url},
    )
    return True

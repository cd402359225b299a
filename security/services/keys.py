"""Writes for keys: create (with a signing secret when asked), revoke, rotate, suspend."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from j1msky.api.permissions import SCOPES
from j1msky.errors import InvalidInput
from j1msky.events import event_emit
from security.errors import KeyAlreadyRevoked, KeyNotActive, KeyNotSuspended, ScopeNotGrantable
from security.models import ApiKey, AuditLog, hash_secret, new_key_secret
from security.services.audit import audit_record

logger = logging.getLogger(__name__)

LAST_USED_RESOLUTION = timedelta(seconds=60)


def _validated_scopes(scopes: Iterable[str]) -> list[str]:
    scopes = list(dict.fromkeys(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            f"Unknown scope: {unknown[0]}. Allowed: {', '.join(SCOPES)}",
            details={"scopes": [f"Unknown scope: {s}" for s in unknown]},
        )
    if not scopes:
        raise InvalidInput("At least one scope is required", details={"scopes": ["Required"]})
    return scopes


def _capped(
    granting_key: ApiKey, *, daily_budget, max_concurrent_agents: int, expires_at
) -> tuple[Any, int, datetime | None]:
    """A new key's limits, capped at the granting key's (semantics §3): a key never grants
    more budget, concurrency or lifetime than it holds itself."""
    if granting_key.daily_budget is not None:
        daily_budget = (
            granting_key.daily_budget
            if daily_budget is None
            else min(daily_budget, granting_key.daily_budget)
        )
    max_concurrent_agents = min(max_concurrent_agents, granting_key.max_concurrent_agents)
    if granting_key.expires_at is not None:
        expires_at = (
            granting_key.expires_at
            if expires_at is None
            else min(expires_at, granting_key.expires_at)
        )
    return daily_budget, max_concurrent_agents, expires_at


def _grantable(scopes: list[str], granting_key: ApiKey) -> None:
    missing = sorted(set(scopes) - set(granting_key.scopes))
    if missing:
        raise ScopeNotGrantable(missing)


def new_signing_secret() -> str:
    return "sigsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def api_key_create(
    *,
    owner,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    daily_budget=None,
    max_concurrent_agents: int = 10,
    signing_secret: bool = False,
    require_signature: bool = False,
    rotated_from: ApiKey | None = None,
    granting_key: ApiKey | None = None,
    actor: str = "",
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret, which is never stored and never shown again.

    `granting_key` is the key whose request creates this one: the new key may hold only scopes
    it holds (403 otherwise), its limits are capped at its own, a key that must sign makes keys
    that must sign, and it is recorded as the creator. Without one (the admin, a command)
    nothing is capped; `actor` then names who acted. With `signing_secret` or
    `require_signature` the key gets a signing secret (§12.4), sealed at rest; the returned key
    holds it in clear (`key.signing_secret`) to be shown once.
    """
    scopes = _validated_scopes(scopes)
    if granting_key is not None:
        _grantable(scopes, granting_key)
        daily_budget, max_concurrent_agents, expires_at = _capped(
            granting_key,
            daily_budget=daily_budget,
            max_concurrent_agents=max_concurrent_agents,
            expires_at=expires_at,
        )
        require_signature |= granting_key.require_signature
    environment = settings.J1MSKY_ENVIRONMENT
    secret = new_key_secret(environment)
    key = ApiKey.objects.create(
        name=name,
        owner=owner,
        environment=environment,
        prefix=secret[: len(environment) + 8],
        secret_hash=hash_secret(secret),
        scopes=scopes,
        expires_at=expires_at,
        daily_budget=daily_budget,
        max_concurrent_agents=max_concurrent_agents,
        signing_secret=new_signing_secret() if signing_secret or require_signature else None,
        require_signature=require_signature,
        rotated_from=rotated_from,
        created_by=granting_key,
    )
    _created_audited(key, granting_key=granting_key, actor=actor)
    return key, secret


def _created_audited(key: ApiKey, *, granting_key: ApiKey | None, actor: str) -> None:
    audit_record(
        event="api.key.created",
        owner=key.owner,
        api_key=granting_key,
        actor=actor,
        resource_type="api_key",
        resource_id=key.key_id,
        details={
            "name": key.name,
            "scopes": key.scopes,
            "signing": key.signing_secret is not None,
            "require_signature": key.require_signature,
        },
    )


def api_key_descendants(key: ApiKey) -> list[ApiKey]:
    """Every key created by `key`, by the keys it created, and so on (oldest generation first)."""
    found: list[ApiKey] = []
    seen = {key.pk}
    generation = [key.pk]
    while generation:
        children = list(ApiKey.objects.filter(created_by_id__in=generation).exclude(pk__in=seen))
        found.extend(children)
        seen.update(child.pk for child in children)
        generation = [child.pk for child in children]
    return found


def _revoke_one(*, key: ApiKey, reason: str, api_key: ApiKey | None, actor: str, now) -> bool:
    if not ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason[:200]
    ):
        return False
    audit_record(
        event="api.key.revoked",
        owner=key.owner,
        api_key=api_key,
        actor=actor,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"reason": reason},
        severity=AuditLog.Severity.WARNING,
    )
    return True


@transaction.atomic
def api_key_revoke(
    *,
    key: ApiKey,
    reason: str = "",
    notify_user: bool = False,
    revoke_descendants: bool = False,
    actor_key: ApiKey | None = None,
    actor: str = "",
) -> tuple[ApiKey, list[ApiKey]]:
    """Revoke `key` at once (409 when it already is) and, when asked, every key descended from
    it (semantics §3); returns the key and the descendants this call revoked."""
    now = timezone.now()
    if not _revoke_one(key=key, reason=reason, api_key=actor_key, actor=actor, now=now):
        raise KeyAlreadyRevoked()
    revoked: list[ApiKey] = []
    if revoke_descendants:
        because = f"ancestor {key.key_id} revoked" + (f": {reason}" if reason else "")
        for child in api_key_descendants(key):
            if _revoke_one(key=child, reason=because, api_key=actor_key, actor=actor, now=now):
                revoked.append(child)
    key.refresh_from_db()
    if notify_user and key.owner.email:
        transaction.on_commit(lambda: _notify_revoked(key))
    return key, revoked


def _notify_revoked(key: ApiKey) -> None:
    try:
        send_mail(
            subject=f"J1MSKY API key {key.key_id} revoked",
            message=(
                f"Your API key {key.name} ({key.key_id}) was revoked"
                + (f": {key.revoked_reason}" if key.revoked_reason else ".")
            ),
            from_email=None,
            recipient_list=[key.owner.email],
        )
    except Exception:
        logger.warning("could not mail the owner of revoked key %s", key.key_id, exc_info=True)


@transaction.atomic
def api_key_rotate(
    *,
    key: ApiKey,
    grace_hours: int = 24,
    granting_key: ApiKey | None = None,
    actor: str = "",
) -> tuple[ApiKey, str]:
    """A new key with the same scopes; the old one keeps working until the grace period ends.

    Rotated by an API key (`granting_key`), the caller must hold every scope of the key it
    rotates, and the new key's limits are capped at the caller's, as for a new key.
    """
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    now = timezone.now()
    if key.is_revoked or key.is_expired(now):
        raise KeyNotActive()
    grace_end = now + timedelta(hours=grace_hours)
    new_key, secret = api_key_create(
        owner=key.owner,
        name=key.name,
        scopes=key.scopes,
        expires_at=key.expires_at,
        daily_budget=key.daily_budget,
        max_concurrent_agents=key.max_concurrent_agents,
        signing_secret=key.signing_secret is not None,
        require_signature=key.require_signature,
        rotated_from=key,
        granting_key=granting_key,
        actor=actor,
    )
    key.expires_at = min(key.expires_at, grace_end) if key.expires_at else grace_end
    key.save(update_fields=["expires_at"])
    audit_record(
        event="api.key.rotated",
        owner=key.owner,
        api_key=granting_key,
        actor=actor,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"new_key_id": new_key.key_id, "grace_hours": grace_hours},
    )
    return new_key, secret


def api_key_touch(*, key: ApiKey, ip: str | None) -> bool:
    """Record last use, at most once a minute per key, with one conditional UPDATE; True when
    this call recorded it."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    return bool(
        ApiKey.objects.filter(pk=key.pk)
        .exclude(last_used_at__gt=now - LAST_USED_RESOLUTION)
        .update(last_used_at=now, last_used_ip=ip)
    )


@transaction.atomic
def api_key_suspend(*, key: ApiKey, reason: str, details: dict[str, Any]) -> bool:
    """Suspend a key a protection caught (semantics §12.7): every request with it is 403
    `key_suspended` until an admin reinstates it. Audited as `security.violation` with why, and
    emitted as `security.key_suspended`. False when it was already suspended (or revoked)."""
    now = timezone.now()
    if not ApiKey.objects.filter(
        pk=key.pk, suspended_at__isnull=True, revoked_at__isnull=True
    ).update(suspended_at=now, suspended_reason=reason[:200]):
        return False
    why = {"reason": reason, "api_key_id": key.key_id, **details}
    audit_record(
        event="security.violation",
        owner=key.owner,
        api_key=key,
        actor="system",
        resource_type="api_key",
        resource_id=key.key_id,
        details={**why, "action": "key_suspended"},
        severity=AuditLog.Severity.CRITICAL,
    )
    event_emit(type="security.key_suspended", owner=key.owner, data=why)
    return True


@transaction.atomic
def api_key_reinstate(*, key: ApiKey, actor: str) -> ApiKey:
    """Lift a suspension; spend before now no longer counts towards the next spike."""
    now = timezone.now()
    if not ApiKey.objects.filter(pk=key.pk, suspended_at__isnull=False).update(
        suspended_at=None, suspended_reason="", reinstated_at=now
    ):
        raise KeyNotSuspended()
    previous = key.suspended_reason
    key.refresh_from_db()
    audit_record(
        event="api.key.reinstated",
        owner=key.owner,
        actor=actor,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"suspended_for": previous},
        severity=AuditLog.Severity.WARNING,
    )
    event_emit(
        type="security.key_reinstated",
        owner=key.owner,
        data={"api_key_id": key.key_id, "suspended_for": previous, "by": actor},
    )
    return key

"""Writes for keys and audit rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from j1msky.api.permissions import SCOPES
from j1msky.errors import InvalidInput
from j1msky.logging import current_request_id
from security.errors import KeyAlreadyRevoked, KeyNotActive, ScopeNotGrantable
from security.models import ApiKey, AuditLog, hash_secret, new_key_secret

logger = logging.getLogger(__name__)

LAST_USED_RESOLUTION = timedelta(seconds=60)


def actor_of(*, api_key: ApiKey | None = None, user=None) -> str:
    """How an audit row names who acted: the API key, else the admin user, else the system."""
    if api_key is not None:
        return f"key:{api_key.key_id}"
    if user is not None:
        return f"admin:{user.get_username()}"
    return "system"


def audit_record(
    *,
    event: str,
    owner=None,
    api_key: ApiKey | None = None,
    actor: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    resource_type: str = "",
    resource_id: str = "",
    details: dict[str, Any] | None = None,
    severity: str = AuditLog.Severity.INFO,
) -> AuditLog:
    """Write one audit row. `actor` defaults to the API key when one is given."""
    return AuditLog.objects.create(
        event=event,
        severity=severity,
        owner=owner if owner is not None else getattr(api_key, "owner", None),
        api_key_id=api_key.key_id if api_key else "",
        actor=(actor or actor_of(api_key=api_key))[:160],
        ip_address=ip_address,
        user_agent=user_agent[:255],
        request_id=current_request_id.get() if current_request_id.get() != "-" else "",
        resource_type=resource_type,
        resource_id=resource_id,
        details=details or {},
    )


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


@transaction.atomic
def api_key_create(
    *,
    owner,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    daily_budget=None,
    max_concurrent_agents: int = 10,
    rotated_from: ApiKey | None = None,
    granting_key: ApiKey | None = None,
    actor: str = "",
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret, which is never stored and never shown again.

    `granting_key` is the key whose request creates this one: the new key may hold only scopes
    it holds (403 otherwise), its limits are capped at its own, and it is recorded as the
    creator. Without one (the admin, a management command) nothing is capped; `actor` then
    names who acted for the audit row.
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
        rotated_from=rotated_from,
        created_by=granting_key,
    )
    audit_record(
        event="api.key.created",
        owner=owner,
        api_key=granting_key,
        actor=actor,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"name": name, "scopes": key.scopes},
    )
    return key, secret


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


def api_key_touch(*, key: ApiKey, ip: str | None) -> None:
    """Record last use, at most once a minute per key, with one conditional UPDATE."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=key.pk).exclude(last_used_at__gt=now - LAST_USED_RESOLUTION).update(
        last_used_at=now, last_used_ip=ip
    )

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

from j1msky.api.errors import Conflict, InvalidInput
from j1msky.api.permissions import SCOPES
from j1msky.logging import current_request_id
from security.models import ApiKey, AuditLog, hash_secret, new_key_secret

logger = logging.getLogger(__name__)

LAST_USED_RESOLUTION = timedelta(seconds=60)


def audit_record(
    *,
    event: str,
    owner=None,
    api_key: ApiKey | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
    resource_type: str = "",
    resource_id: str = "",
    details: dict[str, Any] | None = None,
    severity: str = AuditLog.Severity.INFO,
) -> AuditLog:
    return AuditLog.objects.create(
        event=event,
        severity=severity,
        owner=owner if owner is not None else getattr(api_key, "owner", None),
        api_key_id=api_key.key_id if api_key else "",
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
    actor_key: ApiKey | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret, which is never stored and never shown again."""
    environment = settings.J1MSKY_ENVIRONMENT
    secret = new_key_secret(environment)
    key = ApiKey.objects.create(
        name=name,
        owner=owner,
        environment=environment,
        prefix=secret[: len(environment) + 8],
        secret_hash=hash_secret(secret),
        scopes=_validated_scopes(scopes),
        expires_at=expires_at,
        daily_budget=daily_budget,
        max_concurrent_agents=max_concurrent_agents,
        rotated_from=rotated_from,
    )
    audit_record(
        event="api.key.created",
        owner=owner,
        api_key=actor_key,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"name": name, "scopes": key.scopes},
    )
    return key, secret


@transaction.atomic
def api_key_revoke(
    *, key: ApiKey, reason: str = "", notify_user: bool = False, actor_key: ApiKey | None = None
) -> ApiKey:
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason[:200]
    )
    if not updated:
        raise Conflict("Key is already revoked", code="key_already_revoked")
    key.refresh_from_db()
    audit_record(
        event="api.key.revoked",
        owner=key.owner,
        api_key=actor_key,
        resource_type="api_key",
        resource_id=key.key_id,
        details={"reason": reason},
        severity=AuditLog.Severity.WARNING,
    )
    if notify_user and key.owner.email:
        transaction.on_commit(lambda: _notify_revoked(key))
    return key


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
    *, key: ApiKey, grace_hours: int = 24, actor_key: ApiKey | None = None
) -> tuple[ApiKey, str]:
    """A new key with the same scopes; the old one keeps working until the grace period ends."""
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    now = timezone.now()
    if key.is_revoked or key.is_expired(now):
        raise Conflict("Only an active key can be rotated", code="key_not_active")
    grace_end = now + timedelta(hours=grace_hours)
    new_key, secret = api_key_create(
        owner=key.owner,
        name=key.name,
        scopes=key.scopes,
        expires_at=key.expires_at,
        daily_budget=key.daily_budget,
        max_concurrent_agents=key.max_concurrent_agents,
        rotated_from=key,
        actor_key=actor_key,
    )
    key.expires_at = min(key.expires_at, grace_end) if key.expires_at else grace_end
    key.save(update_fields=["expires_at"])
    audit_record(
        event="api.key.rotated",
        owner=key.owner,
        api_key=actor_key,
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

"""The audit log (semantics §12.5): one way to write a row, its configuration, its retention.

Every row goes through `audit_record`, which asks the configuration whether the event is wanted,
fills in who and where from the current request, and strips secrets from the details (and PII
from the content they quote) before anything is stored. Rows are never changed afterwards,
except that erasing an agent's content (retention, purge) erases what its rows quote of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from j1msky.logging import current_request_id
from security.models import ApiKey, AuditLog, AuditSetting
from security.net import current_client
from security.privacy import pii_mask_values, secrets_redact

# What a row may quote of a request's content: masked for PII, erased with the content.
CONTENT_DETAILS = ("task_preview", "result_preview", "request_body", "response_body")
_events: dict[str, bool] = {}  # registered audit events -> essential (kept at `minimal`)


def audit_events_register(*events: str, essential: bool = False) -> None:
    """Declare the audit events an app records (from its AppConfig), so the audit configuration
    can name them; `essential` ones (configuration changes, violations, the key lifecycle) are
    kept at the `minimal` level too."""
    for event in events:
        _events[event] = essential or _events.get(event, False)


def audit_events() -> list[str]:
    """Every registered audit event, in registration order."""
    return list(_events)


AUDIT_CONFIG_RESOURCE = "audit_config"


def actor_of(*, api_key: ApiKey | None = None, user=None) -> str:
    """How an audit row names who acted: the API key, else the admin user, else the system."""
    if api_key is not None:
        return f"key:{api_key.key_id}"
    if user is not None:
        return f"admin:{user.get_username()}"
    return "system"


# The configuration as read once in the current request (see `audit_setting_held`).
_held: ContextVar[list[AuditSetting] | None] = ContextVar("audit_setting_held", default=None)


@contextmanager
def audit_setting_held() -> Iterator[None]:
    """Within the block (a request), the configuration is read from the database once, and
    again only after `audit_setting_set` changed it: the request that changes it records its own
    `api.key.used` under the new one."""
    token = _held.set([])
    try:
        yield
    finally:
        _held.reset(token)


def audit_setting_get() -> AuditSetting:
    """The audit configuration (the defaults until one is saved)."""
    held = _held.get()
    if held:
        return held[0]
    config = AuditSetting.objects.filter(pk=1).first() or AuditSetting()
    if held is not None:
        held.append(config)
    return config


def audit_wanted(
    config: AuditSetting, *, event: str, severity: str, resource_type: str = ""
) -> bool:
    """Whether the configuration records this event. A change of the audit configuration itself
    is always recorded, so turning the log off leaves a trace."""
    if event == "config.change" and resource_type == AUDIT_CONFIG_RESOURCE:
        return True
    if not config.enabled or (config.events is not None and event not in config.events):
        return False
    if config.log_level == AuditSetting.Level.MINIMAL:
        return _events.get(event, False) or severity != AuditLog.Severity.INFO
    return True


def audit_details_clean(details: dict[str, Any] | None) -> dict[str, Any]:
    """Details as stored: secrets redacted everywhere, PII masked in the content they quote."""
    cleaned = secrets_redact(dict(details or {}))
    for name in CONTENT_DETAILS:
        if name in cleaned:
            cleaned[name] = pii_mask_values(cleaned[name])
    return cleaned


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
    config: AuditSetting | None = None,
) -> AuditLog | None:
    """Write one audit row, unless the configuration leaves this event out (then None).

    `actor` defaults to the API key when one is given; the address and user agent default to
    the current request's."""
    config = config or audit_setting_get()
    if not audit_wanted(config, event=event, severity=severity, resource_type=resource_type):
        return None
    client = current_client.get()
    if client is not None:
        ip_address = ip_address or client.ip
        user_agent = user_agent or client.user_agent
    request_id = current_request_id.get()
    return AuditLog.objects.create(
        event=event,
        severity=severity,
        owner=owner if owner is not None else getattr(api_key, "owner", None),
        api_key_id=api_key.key_id if api_key else "",
        actor=(actor or actor_of(api_key=api_key))[:160],
        ip_address=ip_address,
        user_agent=(user_agent or "")[:255],
        request_id=request_id if request_id != "-" else "",
        resource_type=resource_type,
        resource_id=resource_id,
        details=audit_details_clean(details),
    )


AUDIT_CONFIG_FIELDS = (
    "enabled",
    "log_level",
    "retention_days",
    "include_request_body",
    "include_response_body",
    "events",
)


@transaction.atomic
def audit_setting_set(
    *, actor_key: ApiKey | None = None, actor: str = "", **values
) -> AuditSetting:
    """Change the audit configuration (system-wide); audited as `config.change`, always."""
    config = AuditSetting.objects.select_for_update().filter(pk=1).first() or AuditSetting()
    before = {name: getattr(config, name) for name in AUDIT_CONFIG_FIELDS}
    for name, value in values.items():
        if name not in AUDIT_CONFIG_FIELDS:
            raise TypeError(f"unknown audit setting {name}")
        if name == "events" and value is not None:
            value = list(dict.fromkeys(value))
        setattr(config, name, value)
    config.updated_at = timezone.now()
    config.updated_by = (actor or actor_of(api_key=actor_key))[:160]
    config.save()
    held = _held.get()
    if held is not None:
        held.clear()  # read again on next use (and so never a change that was rolled back)
    after = {name: getattr(config, name) for name in AUDIT_CONFIG_FIELDS}
    audit_record(
        event="config.change",
        api_key=actor_key,
        actor=actor,
        resource_type=AUDIT_CONFIG_RESOURCE,
        resource_id="audit",
        details={
            "setting": "audit",
            "changes": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
        },
        config=config,
    )
    return config


def audit_retention_purge(*, now=None) -> int:
    """Delete rows older than the configured `retention_days`; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=audit_setting_get().retention_days)
    deleted, _ = AuditLog.objects.filter(timestamp__lt=cutoff).delete()
    return deleted


def audit_content_erase(*, resource_type: str, resource_id: str) -> int:
    """Erase what the rows about one resource quote of its content (an agent's task preview);
    returns how many rows changed. The rest of each row stays."""
    changed = 0
    for row in AuditLog.objects.filter(resource_type=resource_type, resource_id=resource_id):
        details = dict(row.details or {})
        if not any(name in details for name in CONTENT_DETAILS):
            continue
        for name in CONTENT_DETAILS:
            details.pop(name, None)
        AuditLog.objects.filter(pk=row.pk).update(details=details)
        changed += 1
    return changed

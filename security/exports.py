"""`GET /privacy/export` (semantics §12.6): every record an owner has, from every app.

The security app cannot import the apps above it, so each app registers the records it holds
(`export_section_register(name, reader)` from its AppConfig); a reader takes the owner and
returns a list of JSON-able dicts. The security app's own sections are its keys (never a secret)
and the audit rows about the owner; the platform's is the owner's event feed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from j1msky.json import jsonable
from j1msky.selectors import event_list
from security.models import ApiKey, AuditLog

Reader = Callable[[Any], list[dict[str, Any]]]
_sections: dict[str, Reader] = {}


def export_section_register(name: str, reader: Reader) -> None:
    _sections[name] = reader


def export_rows(queryset, *fields: str) -> list[dict[str, Any]]:
    """The rows of `queryset` as dicts (every column, or `fields`), oldest first."""
    return list(queryset.order_by("pk").values(*fields))


def _api_keys(owner) -> list[dict[str, Any]]:
    fields = [
        "key_id",
        "name",
        "prefix",
        "scopes",
        "created_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
        "last_used_at",
        "last_used_ip",
        "daily_budget",
        "max_concurrent_agents",
        "require_signature",
        "suspended_at",
        "suspended_reason",
    ]
    return export_rows(ApiKey.objects.filter(owner=owner), *fields)


def _audit_log(owner) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": row.timestamp,
            "event": row.event,
            "severity": row.severity,
            "api_key_id": row.api_key_id or None,
            "actor": row.actor,
            "ip_address": row.ip_address,
            "request_id": row.request_id,
            "resource": {"type": row.resource_type, "id": row.resource_id},
            "details": row.details,
        }
        for row in AuditLog.objects.filter(owner=owner).order_by("timestamp", "id")
    ]


def _events(owner) -> list[dict[str, Any]]:
    return [
        {
            "id": e.id,
            "type": e.type,
            "created_at": e.created_at,
            "agent_id": e.agent_id,
            "data": e.data,
        }
        for e in event_list(owner=owner).filter(owner=owner).iterator()
    ]


export_section_register("api_keys", _api_keys)
export_section_register("audit_log", _audit_log)
export_section_register("events", _events)


def privacy_export(*, owner) -> dict[str, Any]:
    """Everything stored about `owner`, section by section (JSON-able)."""
    records = {name: jsonable(reader(owner)) for name, reader in sorted(_sections.items())}
    return {
        "success": True,
        "generated_at": timezone.now(),
        "owner": {
            "username": owner.get_username(),
            "email": owner.email,
            "date_joined": owner.date_joined,
        },
        "records": records,
    }

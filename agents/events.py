"""The event feed (semantics §7.6, §11): one row per event, also the webhooks' outbox.

Events are written in the same transaction as the change they describe, so a committed change
always has its event and a rolled-back one never does.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from agents.models import Agent, Event

AGENT_EVENTS = (
    "agent.spawned",
    "agent.running",
    "agent.completed",
    "agent.failed",
    "agent.cancelled",
)
PRICING_EVENTS = (
    "pricing.quote_generated",
    "pricing.quote_approved",
    "pricing.quote_escalated",
    "pricing.exception_created",
    "pricing.margin_alert",
    "pricing.budget_warning",
    "pricing.budget_critical",
    "pricing.policy_changed",
)
EVENT_TYPES = frozenset(AGENT_EVENTS + PRICING_EVENTS)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Decimals and datetimes as JSON-safe values (Decimal → number via float at the edge)."""
    return json.loads(json.dumps(data, cls=_Encoder))


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


def event_emit(*, type: str, data: dict[str, Any], owner=None, agent: Agent | None = None) -> Event:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type}")
    return Event.objects.create(
        type=type,
        owner=owner if owner is not None else getattr(agent, "owner", None),
        agent=agent,
        data=_jsonable(data),
    )

"""The event outbox (semantics §7.6, §11): one row per event, the feed and the webhooks' source.

Every app writes its events through `event_emit`, in the same transaction as the change they
describe, so a committed change always has its event and a rolled-back one never does. Each app
registers the event types it emits from its AppConfig (`event_types_register`), so a typo is a
bug caught at once and a webhook subscription can be checked against the known types.
"""

from __future__ import annotations

from typing import Any

from j1msky.json import jsonable
from j1msky.models import Event

_types: set[str] = set()


def event_types_register(*types: str) -> None:
    _types.update(types)


def event_types() -> frozenset[str]:
    return frozenset(_types)


def event_emit(
    *, type: str, data: dict[str, Any], owner=None, agent_id: str | None = None
) -> Event:
    if type not in _types:
        raise ValueError(f"unknown event type {type}")
    return Event.objects.create(type=type, owner=owner, agent_id=agent_id, data=jsonable(data))


def event_content_erase(*, agent_id: str, keys: tuple[str, ...]) -> int:
    """Blank the content (`keys`, such as task and result) the events of one agent carry, in
    the feed and the webhook outbox alike; returns how many events changed."""
    changed = 0
    for event in Event.objects.filter(agent_id=agent_id).only("id", "data"):
        if not any(event.data.get(key) for key in keys):
            continue
        data = {**event.data, **{key: "" for key in keys if key in event.data}}
        Event.objects.filter(pk=event.pk).update(data=data)
        changed += 1
    return changed

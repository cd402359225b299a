"""What a delivery sends: the body `{event, timestamp, webhook_id, data}` (semantics §11) as
compact UTF-8 JSON, the same bytes on every attempt. Standard library only."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

TEST_MESSAGE = "A test event from J1MSKY: no agent, quote or budget is behind it."


def message_id_of_event(event_id: int) -> str:
    """The `webhook-id` of an outbox event: the same for every endpoint and every attempt."""
    return f"evt_{event_id}"


def message_id_of_test() -> str:
    return f"evt_test_{secrets.token_hex(8)}"


def timestamp_text(moment: datetime) -> str:
    """`2026-02-19T10:02:30Z`: UTC, whole seconds, as the reference writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def payload_build(
    *, event_type: str, occurred_at: datetime, webhook_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event": event_type,
        "timestamp": timestamp_text(occurred_at),
        "webhook_id": webhook_id,
        "data": data,
    }


def payload_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sample_data(event_type: str) -> dict[str, Any]:
    """The data of a test event: shaped like the real one for agent events, marked `test`."""
    if event_type.startswith("agent."):
        return {
            "agent_id": "subagent_0_0000",
            "model": "k2p5",
            "task": "Test event",
            "result": TEST_MESSAGE,
            "cost": 0.0,
            "test": True,
        }
    return {"message": TEST_MESSAGE, "test": True}

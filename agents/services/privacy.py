"""An agent's content and privacy (semantics §12.6): what a spawn's `privacy` sets, what its
events may say, and erasing its task and result (retention, or a purge) while its cost stays.

Erasing blanks the task, the result and each team step's output on the agent, the task and
result its events carry (the feed and the webhook outbox) and the task preview its audit rows
quote; the ledger, the agent's cost and its state stay. A running agent is cancelled first and
erased again when its run stops, so nothing it writes afterwards survives.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agents.models import Agent
from j1msky.errors import InvalidInput
from j1msky.events import event_content_erase
from j1msky.sealing import content_sealing_enabled
from security.models import ApiKey
from security.privacy import pii_detect, pii_mask
from security.services import audit_content_erase, audit_record

CONTENT_KEYS = ("task", "result")


def privacy_fields(options, *, task: str, now) -> dict[str, Any]:
    """The agent fields a spawn's `privacy` sets; 400 when it asks for encryption the server
    has turned off."""
    if options.encrypt_output and not content_sealing_enabled():
        raise InvalidInput(
            "Content encryption is off on this server (J1MSKY_ENCRYPT_CONTENT=false)",
            details={"privacy": {"encrypt_output": ["Content encryption is off on this server"]}},
        )
    retention = options.retention_days or settings.J1MSKY_RETENTION_DAYS
    return {
        "detect_pii": options.detect_pii,
        "mask_pii": options.mask_pii_in_logs,
        "pii_detected": pii_detect(task) if options.detect_pii else [],
        "retention_days": retention,
        "content_expires_at": now + timedelta(days=retention),
    }


def pii_found_in_result(agent: Agent, result: str) -> list[str]:
    """The kinds of PII in the task or the result, when the spawn asked to detect them."""
    if not agent.detect_pii:
        return list(agent.pii_detected)
    found = set(agent.pii_detected) | set(pii_detect(result))
    return sorted(found)


def event_content(agent: Agent, text: str) -> str:
    """A task or result as the agent's events (and so its webhooks) carry it."""
    return pii_mask(text) if agent.mask_pii else text


def _steps_blank(steps: list[dict]) -> list[dict]:
    return [{k: v for k, v in step.items() if k != "result"} for step in steps or []]


def content_erase(agent: Agent, *, reason: str, api_key: ApiKey | None = None) -> Agent:
    """Blank the agent's content everywhere it is kept (inside the caller's transaction)."""
    now = timezone.now()
    Agent.objects.filter(pk=agent.pk).update(
        task="",
        result="",
        steps=_steps_blank(agent.steps),
        content_erased_at=agent.content_erased_at or now,
    )
    event_content_erase(agent_id=agent.agent_id, keys=CONTENT_KEYS)
    audit_content_erase(resource_type="agent", resource_id=agent.agent_id)
    agent.refresh_from_db()
    audit_record(
        event="agent.purge",
        owner=agent.owner,
        api_key=api_key,
        actor="" if api_key else "system",
        resource_type="agent",
        resource_id=agent.agent_id,
        details={"reason": reason, "status": agent.status},
    )
    return agent


def agents_content_expire(*, now=None, limit: int = 500) -> int:
    """Erase the content of ended agents past their retention (the beat); returns how many."""
    now = now or timezone.now()
    due = Agent.objects.filter(
        status__in=Agent.TERMINAL,
        content_erased_at__isnull=True,
        content_expires_at__lte=now,
    ).order_by("content_expires_at")[:limit]
    erased = 0
    for agent in due:
        with transaction.atomic():
            locked = Agent.objects.select_for_update().filter(
                pk=agent.pk, content_erased_at__isnull=True
            )
            if locked.exists():
                content_erase(agent, reason="retention")
                erased += 1
    return erased

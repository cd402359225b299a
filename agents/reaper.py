"""The beat's reaper (semantics §7.2, §14): runs whose worker vanished end `failed/worker_lost`."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from agents.models import Agent
from agents.services import agent_finish
from j1msky.selectors import worker_heartbeat_live_list

logger = logging.getLogger(__name__)

REQUEUE_AFTER = timedelta(minutes=5)


def agents_reap(*, now=None) -> int:
    """Fail running agents whose worker stopped heartbeating; re-enqueue long-waiting ones."""
    now = now or timezone.now()
    live = {
        f"{h}#{pid}"
        for h, pid in worker_heartbeat_live_list(now=now).values_list("hostname", "pid")
    }
    grace = now - timedelta(seconds=settings.J1MSKY_WORKER_LOST_AFTER_SECONDS)
    lost = Agent.objects.filter(status=Agent.Status.RUNNING, started_at__lt=grace).exclude(
        worker__in=live
    )
    reaped = 0
    for agent in lost.select_related("reservation"):
        if agent_finish(
            agent=agent,
            status=Agent.Status.FAILED,
            error_type="worker_lost",
            error_message=f"Worker {agent.worker or 'unknown'} stopped during the run",
        ):
            reaped += 1
            logger.warning("agent %s failed: worker %s lost", agent.agent_id, agent.worker)
    # Open budget reservations whose lease lapsed are released by billing's own beat job.
    waiting = Agent.objects.filter(
        status=Agent.Status.SPAWNING, created_at__lt=now - REQUEUE_AFTER
    ).values_list("agent_id", flat=True)[:100]
    if waiting:
        from agents.tasks import run_next_agent

        for agent_id in waiting:
            run_next_agent.delay(agent_id)
    return reaped
